"""Running an export on the worker: join the playlist's takes into one video, store it and say
how it went. Exports are started (numbered, with their manifest) in services.py."""

import hashlib
import logging
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import cast

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.stitch import ExportError, FinishedExport, Framing, Segment, finish, stitch
from studio.stitch.framing import Fill
from studio.stored_files import local_copy

from .finish_spec import FinishSpec, finish_spec
from .models import PLATFORM_SIZES, Export, ExportStatus, Playlist, PlaylistItem

DEFAULT_SIZES = {"16:9": (1280, 720), "9:16": (720, 1280)}
PROGRESS_STEP = 5  # percent; fewer writes while ffmpeg runs
SHORT_REASON = 200  # characters of an unexpected error shown to the user
FINISH_METHOD = "finish"  # Export.method of a run with finishing (always re-encoded)

log = logging.getLogger(__name__)


def export_size(playlist: Playlist, items: list[PlaylistItem]) -> tuple[int, int]:
    """A deliverable's placement frame exactly (what the platform asks of a delivered file),
    and a feed playlist's (no take is 1:1 or 4:5); any other playlist, a working cut, keeps
    the takes' own frame size when they agree with it (so no re-encode, no upscaling)."""
    native = playlist.source_id is None and playlist.aspect_ratio in DEFAULT_SIZES
    if playlist.platform in PLATFORM_SIZES and not native:
        return PLATFORM_SIZES[playlist.platform]
    sizes = Counter(
        item.take.resolution
        for item in items
        if item.take.aspect_ratio == playlist.aspect_ratio and item.take.resolution
    )
    if sizes:
        width, height = sizes.most_common(1)[0][0].split("x")
        return int(width), int(height)
    return DEFAULT_SIZES[playlist.aspect_ratio]


def heartbeat_every() -> timedelta:
    """A run writes its heartbeat at most this often (from ffmpeg's progress)."""
    return timedelta(seconds=settings.STUDIO_EXPORT_HEARTBEAT_SECONDS)


def stale_after() -> timedelta:
    """A run quiet this long has lost its worker. Longer than a run's longest silence:
    probing every item before ffmpeg starts."""
    return timedelta(seconds=settings.STUDIO_EXPORT_STALE_SECONDS)


def resend_after() -> timedelta:
    """A queued export unstarted this long has lost its message (the broker was down when it
    was started): far shorter than stale_after(), since nothing is running to be waited for.
    Sending it again is harmless, export_run claims from queued only."""
    return timedelta(seconds=settings.STUDIO_EXPORT_RESEND_SECONDS)


class RunLost(Exception):
    """This run no longer holds the export (the sweep failed it): stop, write nothing."""


def export_run(*, export_id: int) -> None:
    """Claimed once, from queued; a failure leaves no file and the export can be started again.

    A run writes only while it holds its claim: status running and its own `started_at`. Once
    the sweep has failed it (its worker was lost, or only slow), whatever it still does is
    dropped, so what the user was told stays true and a run started since is never overwritten.
    """
    now = timezone.now()
    claimed = Export.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=now, heartbeat_at=now, progress=0
    )
    if not claimed:
        return  # a second delivery, or a run already ended
    export = Export.objects.select_related("playlist__project__brand_kit").get(pk=export_id)
    held = Export.objects.filter(pk=export_id, status=ExportStatus.RUNNING, started_at=now)
    try:
        result = _render_and_store(export, claimed_at=now)
    except RunLost:
        return
    except Exception as error:
        # Not only the engine's own errors: a take's file gone, a storage that refuses the
        # result. Left Running, the export would wait for the sweep to blame a lost worker.
        if isinstance(error, ExportError):
            message = str(error)
        else:
            log.exception("Export %s failed", export.uuid)
            message = f"The export failed: {_short(error)}; run it again."
        with transaction.atomic():
            if _finish(held, status=ExportStatus.FAILED, error_message=message):
                _record_finish(export, f"failed: {message}")
        return
    with transaction.atomic():
        done = _finish(
            held,
            status=ExportStatus.DONE,
            video=result.name,
            progress=100,
            method=result.method,
            duration=result.duration,
            manifest=result.manifest,
        )
        if done:
            _record_finish(export, f"finished, {result.duration:.1f} s")
    if not done:
        default_storage.delete(result.name)


@dataclass(frozen=True)
class _Rendered:
    name: str  # the stored file's
    method: str
    duration: Decimal
    manifest: dict  # the export's manifest with its finishing and the file's facts


def _render_and_store(export: Export, *, claimed_at: datetime) -> _Rendered:
    """Join the playlist's takes, with its finishing if it has any, and store the result."""
    items = list(export.playlist.items.select_related("take__shot"))
    width, height = export_size(export.playlist, items)
    progress = _progress(export, claimed_at=claimed_at)
    method: str
    manifest: dict
    with tempfile.TemporaryDirectory(prefix="export-") as workdir:
        # Inputs in object storage are copied into the work folder first: ffmpeg reads paths.
        segments = [
            Segment(
                path=local_copy(item.take.video, Path(workdir)),
                trim_in=item.trim_in,
                trim_out=item.trim_out,
                # The choices are the engine's fills (and the engine refuses any other).
                framing=Framing(
                    fill=cast(Fill, item.framing), centre_x=item.crop_x, centre_y=item.crop_y
                ),
            )
            for item in items
        ]
        spec = finish_spec(export.playlist, items, workdir=Path(workdir))
        target = Path(workdir) / export.file_name
        if spec is None:
            result = stitch(segments, target, width=width, height=height, on_progress=progress)
            method, duration, manifest = result.method, result.duration, {**export.manifest}
        else:
            finished = finish(
                segments, spec.finishing, target, width=width, height=height, on_progress=progress
            )
            method, duration = FINISH_METHOD, finished.duration
            manifest = {**export.manifest, "finishing": _finished_manifest(spec, finished)}
        manifest["file"] = file_facts(
            target, export.file_name, width=width, height=height, duration=duration
        )
        with target.open("rb") as handle:
            name = default_storage.save(
                f"exports/{export.uuid}/{export.file_name}",
                File(handle),
                max_length=Export.video.field.max_length,
            )
    return _Rendered(name, method, duration, manifest)


HASH_CHUNK = 1024 * 1024  # bytes read at a time: a long export is never held in memory


def file_facts(path: Path, name: str, *, width: int, height: int, duration: Decimal) -> dict:
    """What a delivery sheet lists of the file as rendered: the frame the engine rendered it at,
    its length as the engine measured it, its size, and its SHA-256 (read in chunks)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return {
        "name": name,
        "width": width,
        "height": height,
        "duration": str(duration),
        "size_bytes": path.stat().st_size,
        "sha256": digest.hexdigest(),
    }


def _finished_manifest(spec: FinishSpec, finished: FinishedExport) -> dict:
    """The finishing asked for, with the loudness the engine measured in the file."""
    loudness = {
        **spec.manifest["loudness"],
        "integrated": str(finished.loudness.integrated),
        "true_peak": str(finished.loudness.true_peak),
    }
    return {**spec.manifest, "loudness": loudness}


def _short(error: Exception) -> str:
    """The error in a line a user can read (the log has the traceback)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= SHORT_REASON else text[: SHORT_REASON - 1] + "…"


def _progress(export: Export, *, claimed_at: datetime):
    """ffmpeg's progress, every 5 percent, and the heartbeat, at most every heartbeat_every()
    (a write or two a minute however long the export runs)."""
    held = Export.objects.filter(pk=export.pk, status=ExportStatus.RUNNING, started_at=claimed_at)
    last_percent, last_beat = 0, claimed_at

    def report(percent: int) -> None:
        nonlocal last_percent, last_beat
        now = timezone.now()
        fields: dict[str, object] = {}
        if percent - last_percent >= PROGRESS_STEP:
            fields["progress"] = min(percent, 99)
            last_percent = percent
        if now - last_beat >= heartbeat_every():
            fields["heartbeat_at"] = last_beat = now
        if fields and not held.update(**fields):
            raise RunLost  # stitch stops ffmpeg and raises it again

    return report


def _finish(held: QuerySet[Export], **fields) -> bool:
    fields["finished_at"] = timezone.now()
    return bool(held.update(**fields))


LOST_MESSAGE = "The export stopped (its worker was lost); run it again."


def exports_sweep(*, now: datetime | None = None) -> list[int]:
    """Fail the runs that went quiet (their worker died: without this they would show
    Exporting for ever); return the queued exports whose message seems lost, to send again.
    Each is marked as heard of now, so it is sent once per resend_after(), not every sweep; a
    second delivery is harmless (export_run claims from queued only)."""
    now = now or timezone.now()

    def quiet(bound: timedelta) -> Q:
        return Q(heartbeat_at__lt=now - bound) | Q(
            heartbeat_at__isnull=True, created_at__lt=now - bound
        )

    Export.objects.filter(quiet(stale_after()), status=ExportStatus.RUNNING).update(
        status=ExportStatus.FAILED, error_message=LOST_MESSAGE, finished_at=now
    )
    unsent = list(
        Export.objects.filter(quiet(resend_after()), status=ExportStatus.QUEUED).values_list(
            "pk", flat=True
        )
    )
    Export.objects.filter(pk__in=unsent, status=ExportStatus.QUEUED).update(heartbeat_at=now)
    return unsent


def _record_finish(export: Export, outcome: str) -> None:
    """The log line of a finished run, in the name of whoever started it."""
    activity_record(
        project=export.playlist.project,
        verb=Verb.EXPORTED,
        subject=f"playlist {export.playlist.name} as {export.file_name} ({outcome})",
        actor=export.created_by,
    )
