"""Exporting a playlist as one finished video, kept as a numbered version with its manifest."""

import tempfile
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.stitch.export import ExportError, Segment, export_file_name, stitch
from studio.teams.models import Action
from studio.teams.services import require_action

from .models import Export, ExportStatus, Playlist, PlaylistItem

DEFAULT_SIZES = {"16:9": (1280, 720), "9:16": (720, 1280)}
PROGRESS_STEP = 5  # percent; fewer writes while ffmpeg runs
STALE_RUN = timedelta(minutes=15)  # longer than any export runs


def export_start(*, user, playlist: Playlist) -> Export:
    from .tasks import export_playlist

    require_action(user=user, team=playlist.project.team, action=Action.EDIT)
    items = list(playlist.items.select_related("take"))
    if not items:
        raise ValidationError("Add takes to the playlist before exporting it.")
    unfinished = [n for n, item in enumerate(items, start=1) if not item.is_ready]
    if unfinished:
        raise ValidationError(
            f"Item {unfinished[0]} is not a finished take: export once every take is completed."
        )
    length = round(sum((item.length for item in items), Decimal("0")))
    with transaction.atomic():
        Playlist.objects.select_for_update().filter(pk=playlist.pk).first()
        version = (playlist.exports.aggregate(last=Max("version"))["last"] or 0) + 1
        export = Export.objects.create(
            playlist=playlist,
            version=version,
            created_by=user,
            file_name=export_file_name(
                project=playlist.project.name,
                playlist=playlist.name,
                aspect_ratio=playlist.aspect_ratio,
                length_seconds=length,
                version=version,
            ),
            manifest=manifest(playlist, items),
        )
        activity_record(
            project=playlist.project,
            verb=Verb.EXPORTED,
            subject=f"playlist {playlist.name} as {export.file_name} (started)",
            actor=user,
        )
        transaction.on_commit(lambda: export_playlist.delay(export.pk))
    return export


def manifest(playlist: Playlist, items: list[PlaylistItem]) -> dict:
    """What is inside, in order: enough to audit or rebuild the ad."""
    return {
        "project": playlist.project.name,
        "playlist": playlist.name,
        "aspect_ratio": playlist.aspect_ratio,
        "target_seconds": playlist.target_seconds,
        "items": [
            {
                "position": position,
                "shot": item.take.shot.position,
                "prompt": item.take.prompt,
                "take": item.take.take_number,
                "take_id": str(item.take.uuid),
                "duration": str(item.take_length),
                "trim_in": str(item.trim_in) if item.trim_in is not None else None,
                "trim_out": str(item.trim_out) if item.trim_out is not None else None,
                "length": str(item.length),
                "cost": str(item.take.cost),
            }
            for position, item in enumerate(items, start=1)
        ],
        "total_length": str(sum((item.length for item in items), Decimal("0"))),
        "total_cost": str(sum((item.take.cost for item in items), Decimal("0.00"))),
    }


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
