"""What the export tests share: a take with a real video stored, and an export run to its end
on this process (the worker's code, without a worker)."""

from pathlib import Path

from django.core.files import File

from studio.generation.models import Take
from studio.playlists import exports, services
from studio.playlists.models import Export
from tests.factories import make_take


def stored_take(shot, path: Path, ratio: str = "16:9") -> Take:
    """Take 1 of the shot, finished, with the video at `path` (a small render) as its file."""
    take = make_take(shot, 1, ratio=ratio, length=2)
    take.resolution = "320x180" if ratio == "16:9" else "180x320"
    with path.open("rb") as handle:
        take.video.save("take.mp4", File(handle))
    return take


def run_export(user, playlist) -> Export:
    export = services.export_start(user=user, playlist=playlist)
    exports.export_run(export_id=export.pk)
    export.refresh_from_db()
    return export
