"""Shots from a spreadsheet: parse and check every row before anything is saved.

The columns are the ones a shot list has (prompt, duration, aspect ratio, title, notes), named
in a header row in any order and case. Each row is checked exactly as the Add shot form
checks it, so the preview's errors are the ones saving would raise.
"""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from studio.catalog.models import VideoModel

from .models import Shot, limit_of, validate_prompt

MAX_BYTES = 1_000_000
MAX_ROWS = 500
REQUIRED = ("prompt", "duration", "aspect_ratio")
OPTIONAL = ("title", "notes")
# Header spellings a spreadsheet is likely to use for each column.
ALIASES = {"aspect ratio": "aspect_ratio", "aspect": "aspect_ratio", "ratio": "aspect_ratio"}


class UnreadableFile(ValueError):
    """The file as a whole cannot be read: no row is looked at."""


@dataclass
class Row:
    line: int
    prompt: str = ""
    duration: int | None = None
    aspect_ratio: str = ""
    title: str = ""
    notes: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Parsed:
    rows: list[Row]

    @property
    def valid(self) -> list[Row]:
        return [row for row in self.rows if row.ok]

    @property
    def invalid(self) -> list[Row]:
        return [row for row in self.rows if not row.ok]

    @property
    def seconds(self) -> int:
        return sum(row.duration or 0 for row in self.valid)


TOO_BIG = f"The file is over {MAX_BYTES // 1000} kB: split it into parts."


def read_upload(upload: UploadedFile) -> str:
    """The uploaded file's text, refused by its size before it is read: a large upload waits
    in a temporary file (FILE_UPLOAD_MAX_MEMORY_SIZE), and reading it whole would bring it into
    the web process's memory. At most one byte over the limit is read, whatever size it claims."""
    if upload.size is None or upload.size > MAX_BYTES:
        raise UnreadableFile(TOO_BIG)
    return decode(upload.read(MAX_BYTES + 1))


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise UnreadableFile(TOO_BIG)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile(
            "The file is not UTF-8 text: save it from your spreadsheet as CSV UTF-8."
        ) from None


def header_names(header: list[str]) -> list[str]:
    names = [" ".join(name.strip().lower().replace("_", " ").split()) for name in header]
    names = [ALIASES.get(name, name).replace(" ", "_") for name in names]
    if missing := [name for name in REQUIRED if name not in names]:
        raise UnreadableFile(
            "The header row needs the columns prompt, duration and aspect ratio "
            f"(missing: {', '.join(name.replace('_', ' ') for name in missing)})."
        )
    return names


def parse(text: str, *, video_model: VideoModel) -> Parsed:
    """Check every row. The text comes from decode() or back from the preview form, so it is
    bounded here again."""
    if not text.strip():
        raise UnreadableFile("The file is empty.")
    if len(text) > MAX_BYTES:
        raise UnreadableFile(TOO_BIG)
    if "\x00" in text:
        raise UnreadableFile("The file holds NUL characters: save it again as CSV text.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # one column or an unusual file: commas, and let the header speak
    try:
        return _parse_rows(csv.reader(io.StringIO(text), dialect), video_model)
    except csv.Error as error:  # a cell over the csv module's limit, or a broken quote
        raise UnreadableFile(f"The file is not readable CSV: {error}.") from error


def _parse_rows(reader, video_model: VideoModel) -> Parsed:
    names = header_names(next(reader))
    rows: list[Row] = []
    for values in reader:
        if not any(value.strip() for value in values):
            continue  # blank lines a spreadsheet leaves at the end
        if len(rows) == MAX_ROWS:
            raise UnreadableFile(f"Import at most {MAX_ROWS} shots at a time.")
        rows.append(check_row(reader.line_num, dict(zip(names, values, strict=False)), video_model))
    if not rows:
        raise UnreadableFile("The file has a header row but no shots.")
    return Parsed(rows)


def check_row(line: int, values: dict[str, str], video_model: VideoModel) -> Row:
    row = Row(
        line=line,
        prompt=(values.get("prompt") or "").strip(),
        aspect_ratio=(values.get("aspect_ratio") or "").strip(),
        title=(values.get("title") or "").strip(),
        notes=(values.get("notes") or "").strip(),
    )
    try:
        validate_prompt(row.prompt)
    except ValidationError as error:
        row.errors += error.messages
    # The shot form's limits, from the same model fields.
    for limit, text in [
        (limit_of(Shot.title.field, "title"), row.title),
        (limit_of(Shot.notes.field, "notes"), row.notes),
    ]:
        try:
            limit(text)
        except ValidationError as error:
            row.errors += error.messages
    raw = (values.get("duration") or "").strip().removesuffix("s").strip()
    try:
        row.duration = int(raw)
    except ValueError:
        row.errors.append(f"Duration “{raw}” is not a whole number of seconds.")
    else:
        if message := video_model.duration_error(row.duration):
            row.errors.append(message)
    if message := video_model.aspect_ratio_error(row.aspect_ratio):
        row.errors.append(message)
    return row
