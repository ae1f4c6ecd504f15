"""CSVs that a spreadsheet opens as they were written: shared by every CSV the studio writes
(the delivery sheet, the review report). Cells that cannot run as formulas, and the download
itself: UTF-8, said in the header and in a byte order mark."""

import re

from django.http import HttpResponse

# What a spreadsheet takes for a formula at the start of a cell; a plain number (a loudness
# of -14.1) is not one, and keeps its sign.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def spreadsheet_cell(value: object) -> object:
    """A cell that cannot run as a formula where the CSV is opened: free text such as a guest's
    name or a comment may start with = + - @. Quoted (a leading ') in the CSV only; pages show
    the text as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(value):
        return f"'{value}"
    return value


def csv_bytes(text: str) -> bytes:
    """A CSV file's bytes. Excel reads a CSV as the machine's code page unless it starts with
    the UTF-8 byte order mark, which garbles curly quotes and non-ASCII names."""
    return f"\ufeff{text}".encode()


def csv_response(text: str, filename: str) -> HttpResponse:
    """A CSV download (csv_bytes); the charset in the header is for everything but Excel."""
    response = HttpResponse(csv_bytes(text), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
