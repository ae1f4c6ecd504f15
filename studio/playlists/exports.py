"""Running an export on the worker: join the playlist's takes into one video, store it and say
how it went. Exports are started (numbered, with their manifest) in services.py."""

import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.stitch.export import ExportError, Segment, stitch

from .models import Export, ExportStatus, Playlist, PlaylistItem

DEFAULT_SIZES = {"16:9": (1280, 720), "9:16": (720, 1280)}
PROGRESS_STEP = 5  # percent; fewer writes while ffmpeg runs
STALE_RUN = timedelta(minutes=15)  # longer than any export runs


def export_size(playlist: Playlist, items: list[PlaylistItem]) -> tuple[int, int]:
    """The takes' own frame size when they agree with the playlist (so no re-encode is needed)."""
    sizes = Counter(
        item.take.resolution
        for item in items
        if item.take.aspect_ratio == playlist.aspect_ratio and item.take.resolution
    )
    if sizes:
        width, height = sizes.most_common(1)[0][0].split("x")
        return int(width), int(height)
    return DEFAULT_SIZES[playlist.aspect_ratio]


def export_run(*, export_id: int) -> None:
    """Claimed once; a failure leaves no file and the export can be started again. A run
    whose worker died long ago (the message comes back, acknowledged late) is taken over."""
    now = timezone.now()
    claimable = Q(status=ExportStatus.QUEUED) | Q(
        status=ExportStatus.RUNNING, started_at__lt=now - STALE_RUN
    )
    claimed = Export.objects.filter(claimable, pk=export_id).update(
        status=ExportStatus.RUNNING, started_at=now, progress=0
    )
    if not claimed:
        return
    export = Export.objects.select_related("playlist__project").get(pk=export_id)
    items = list(export.playlist.items.select_related("take__shot"))
    width, height = export_size(export.playlist, items)
    segments = [
        Segment(path=Path(item.take.video.path), trim_in=item.trim_in, trim_out=item.trim_out)
        for item in items
    ]
    with tempfile.TemporaryDirectory(prefix="export-") as workdir:
        target = Path(workdir) / export.file_name
        try:
            result = stitch(
                segments, target, width=width, height=height, on_progress=_progress(export)
            )
        except ExportError as error:
            with transaction.atomic():
                _finish(export, status=ExportStatus.FAILED, error_message=str(error))
                _record_finish(export, f"failed: {error}")
            return
        with target.open("rb") as handle:
            name = default_storage.save(f"exports/{export.uuid}/{export.file_name}", File(handle))
    with transaction.atomic():
        _finish(
            export,
            status=ExportStatus.DONE,
            video=name,
            progress=100,
            method=result.method,
            duration=result.duration,
        )
        _record_finish(export, f"finished, {result.duration:.1f} s")


def _progress(export: Export):
    last = {"percent": 0}

    def report(percent: int) -> None:
        if percent - last["percent"] >= PROGRESS_STEP:
            last["percent"] = percent
            Export.objects.filter(pk=export.pk).update(progress=min(percent, 99))

    return report


def _finish(export: Export, **fields) -> None:
    fields["finished_at"] = timezone.now()
    Export.objects.filter(pk=export.pk).update(**fields)


def _record_finish(export: Export, outcome: str) -> None:
    """The log line of a finished run, in the name of whoever started it."""
    activity_record(
        project=export.playlist.project,
        verb=Verb.EXPORTED,
        subject=f"playlist {export.playlist.name} as {export.file_name} ({outcome})",
        actor=export.created_by,
    )
