"""The export engine: join a playlist's clips into one deliverable MP4 (no Django)."""

from studio.stitch.export import ExportError, ExportResult, Segment, stitch
from studio.stitch.finish import FinishedExport, LoudnessMeasurement, finish, measure_loudness
from studio.stitch.finishing import (
    Caption,
    EndCard,
    Finishing,
    ItemFinish,
    Loudness,
    TextStyle,
    Transition,
)
from studio.stitch.names import export_file_name

__all__ = [
    "Caption",
    "EndCard",
    "ExportError",
    "ExportResult",
    "FinishedExport",
    "Finishing",
    "ItemFinish",
    "Loudness",
    "LoudnessMeasurement",
    "Segment",
    "TextStyle",
    "Transition",
    "export_file_name",
    "finish",
    "measure_loudness",
    "stitch",
]
