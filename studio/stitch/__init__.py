"""The export engine: join a playlist's clips into one deliverable MP4 (no Django)."""

from studio.stitch.export import ExportError, ExportResult, Segment, export_file_name, stitch

__all__ = ["ExportError", "ExportResult", "Segment", "export_file_name", "stitch"]
