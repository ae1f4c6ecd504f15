"""The export engine: join a playlist's clips into one deliverable MP4 (no Django)."""

from studio.stitch.export import ExportError, ExportResult, Framing, Segment, stitch
from studio.stitch.finish import FinishedExport, finish
from studio.stitch.finishing import (
    Caption,
    EndCard,
    Finishing,
    ItemFinish,
    Loudness,
    MusicBed,
    TextStyle,
    Transition,
)
from studio.stitch.loudness import LoudnessMeasurement, measure_loudness
from studio.stitch.names import export_file_name

__all__ = [
    "Caption",
    "EndCard",
    "ExportError",
    "ExportResult",
    "FinishedExport",
    "Finishing",
    "Framing",
    "ItemFinish",
    "Loudness",
    "LoudnessMeasurement",
    "MusicBed",
    "Segment",
    "TextStyle",
    "Transition",
    "export_file_name",
    "finish",
    "measure_loudness",
    "stitch",
]
