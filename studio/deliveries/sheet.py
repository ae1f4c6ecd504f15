"""The delivery sheet: one row per file (placement, file name, resolution, duration, loudness,
size, checksum, review state, who approved it and when), as a CSV and a printable HTML page.
The rows are made once, when the delivery is packed, and kept on the delivery."""

import csv
import io
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from studio.playlists.models import Export
from studio.review.decisions import Review
from studio.review.models import ReviewState
from studio.spreadsheet import spreadsheet_cell

MISSING = "—"  # what an older export's manifest does not say
SHEET_CSS = "css/delivery-sheet.css"

# The CSV's columns: (key of a row, heading).
COLUMNS = [
    ("placement", "Placement"),
    ("file_name", "File name"),
    ("resolution", "Resolution"),
    ("duration", "Duration (s)"),
    ("loudness_target", "Loudness target (LUFS)"),
    ("loudness_integrated", "Integrated loudness (LUFS)"),
    ("true_peak", "True peak (dBTP)"),
    ("size_bytes", "Size (bytes)"),
    ("sha256", "SHA-256"),
    ("review_state", "Review state"),
    ("approved_by", "Approved by"),
    ("approved_at", "Approved at"),
]


def manifest_value(mapping: object, *keys: str) -> object:
    """manifest["a"]["b"], or None when any step is missing or not a mapping."""
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def _text(value: object) -> str:
    return MISSING if value is None or value == "" else str(value)


def sheet_row(export: Export, *, size: int, sha256: str, review: Review) -> dict:
    """One file's row. Size and checksum are the packed file's own (measured while it was
    written into the zip); the rest comes from the export's manifest, read defensively."""
    playlist = export.playlist
    file = manifest_value(export.manifest, "file") or {}
    loudness = manifest_value(export.manifest, "finishing", "loudness") or {}
    width, height = manifest_value(file, "width"), manifest_value(file, "height")
    duration = manifest_value(file, "duration") or export.duration
    # The playlist's state by the team's review rule; who approved are the reviewers whose
    # current decision is an approval, and the time is the latest of those.
    approved = review.state == ReviewState.APPROVED
    approvals = [d for d in review.reviewers if d.state == ReviewState.APPROVED]
    return {
        "placement": playlist.get_platform_display(),
        "file_name": export.file_name,
        "resolution": f"{width}x{height}" if width and height else MISSING,
        "duration": _text(duration),
        "loudness_target": _text(manifest_value(loudness, "target")),
        "loudness_integrated": _text(manifest_value(loudness, "integrated")),
        "true_peak": _text(manifest_value(loudness, "true_peak")),
        "size_bytes": size,
        "sha256": sha256,
        "review_state": review.state_label,
        "approved_by": ", ".join(d.decider_name for d in approvals) if approved else MISSING,
        "approved_at": (
            timezone.localtime(approvals[0].decided_at).strftime("%Y-%m-%d %H:%M %Z")
            if approved and approvals
            else MISSING
        ),
    }


def sheet_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([heading for _, heading in COLUMNS])
    for row in rows:
        writer.writerow([spreadsheet_cell(row.get(key, MISSING)) for key, _ in COLUMNS])
    return out.getvalue()


def sheet_context(delivery, rows: list[dict]) -> dict:
    return {
        "delivery": delivery,
        "ad": delivery.ad,
        "rows": rows,
        "total_bytes": sum(int(row.get("size_bytes") or 0) for row in rows),
    }


def sheet_html(delivery, rows: list[dict]) -> str:
    """The printable page as it goes into the zip: one file, its stylesheet inline (opened from
    the zip, there is no server to fetch it from)."""
    path = finders.find(SHEET_CSS)
    css = Path(path).read_text(encoding="utf-8") if isinstance(path, str) else ""
    # Our own stylesheet, from the repository, not user input: escaping it would break its
    # quotes (a <style> element decodes no entities).
    context = sheet_context(delivery, rows) | {"inline_css": mark_safe(css)}  # noqa: S308
    return render_to_string("deliveries/sheet.html", context)
