"""The export engine: join a playlist's clips into one deliverable MP4 (no Django)."""

from studio.stitch.export import ExportError, ExportResult, Segment, stitch
from studio.stitch.names import export_file_name

__all__ = ["ExportError", "ExportResult", "Segment", "export_file_name", "stitch"]
