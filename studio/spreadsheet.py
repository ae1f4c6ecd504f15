"""CSV cells that a spreadsheet opens as text: shared by every CSV the studio writes (the
delivery sheet, the review report). No Django."""

import re

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
