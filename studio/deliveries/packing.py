"""The worker's side of a delivery. exports.py is a lower layer and cannot tell a delivery that
its files are done, so beat runs deliveries_check: it fails the deliveries one of whose files
failed, claims for packing those whose files are all done, and recovers a packing run that went
quiet. pack_run builds the zip (the MP4s stored, not compressed again; file by file, never one
read whole into memory) with its delivery sheet, and stores it. Every step is a conditional
UPDATE that a second run, or a race, finds already made."""

import hashlib
import logging
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.text import slugify

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.playlists.exports import heartbeat_every, resend_after, stale_after
from studio.playlists.models import ExportStatus
from studio.review.services import playlist_reviews
from studio.spreadsheet import csv_bytes

from . import sheet
from .models import Delivery, DeliveryFile, DeliveryQuerySet, DeliveryStatus, gone_message

CHUNK = 1024 * 1024
SHORT_REASON = 200
CSV_NAME, HTML_NAME = "delivery-sheet.csv", "delivery-sheet.html"
LOST_MESSAGE = "The packing stopped (its worker was lost); run it again."
# The slowest storing of the zip a packing run is allowed before the check takes it for lost
# (a run writes no heartbeat while default_storage.save stores it): see renew_for_save.
SAVE_BYTES_PER_SECOND = 1024 * 1024

log = logging.getLogger(__name__)


# Noticing that a delivery's files have all ended


def deliveries_check(*, now: datetime | None = None) -> list[int]:
    """Fail or claim the rendering deliveries whose exports have all ended; fail the packing
    runs that went quiet; return the deliveries to send a packing message for (newly claimed,
    or claimed but whose message seems lost). Safe to run twice: each write is conditional."""
    now = now or timezone.now()
    ended = (
        Delivery.objects.filter(status=DeliveryStatus.RENDERING)
        .annotate(
            unfinished=Count(
                "files",
                filter=Q(files__export__status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]),
            ),
            failed=Count("files", filter=Q(files__export__status=ExportStatus.FAILED)),
            # Its deliverable was deleted meanwhile (its exports with it): the row is kept.
            gone=Count("files", filter=Q(files__export__isnull=True)),
        )
        .filter(unfinished=0)
        .values_list("pk", "failed", "gone")
    )
    to_pack = []
    for pk, failed, gone in ended:
        if failed or gone:
            _fail_rendering(pk, now=now)
        elif Delivery.objects.filter(pk=pk).transition(
            from_statuses=[DeliveryStatus.RENDERING],
            status=DeliveryStatus.PACKING,
            heartbeat_at=now,
            pack_started_at=None,
        ):
            to_pack.append(pk)
    packing = Delivery.objects.filter(status=DeliveryStatus.PACKING)
    lost = list(packing.filter(pack_started_at__isnull=False, heartbeat_at__lt=now - stale_after()))
    for delivery in lost:
        held = Delivery.objects.filter(pk=delivery.pk, pack_started_at=delivery.pack_started_at)
        _fail(held, delivery, LOST_MESSAGE, now=now, status=DeliveryStatus.PACKING)
    unsent = list(
        packing.filter(
            pack_started_at__isnull=True, heartbeat_at__lt=now - resend_after()
        ).values_list("pk", flat=True)
    )
    # Marked as heard of now: sent once per resend_after(), not every check; a second message
    # is harmless (pack_run claims only an unstarted packing).
    packing.filter(pk__in=unsent, pack_started_at__isnull=True).update(heartbeat_at=now)
    return to_pack + unsent


def _fail_rendering(pk: int, *, now: datetime) -> None:
    """Fail a delivery one of whose files failed or was deleted, naming each file (and the
    error of each that failed)."""
    files = list(DeliveryFile.objects.filter(delivery_id=pk).select_related("export"))
    failed = "; ".join(
        f"{file.export.file_name} failed: "
        + (file.export.error_message or "no reason given").rstrip(".")
        for file in files
        if file.export is not None and file.export.status == ExportStatus.FAILED
    )
    gone = [file.name for file in files if file.is_gone]
    message = " ".join(
        part for part in (failed and f"{failed}.", gone and gone_message(gone)) if part
    )
    delivery = Delivery.objects.select_related("ad__project").get(pk=pk)
    held = Delivery.objects.filter(pk=pk)
    _fail(held, delivery, message, now=now, status=DeliveryStatus.RENDERING)


def _fail(
    held: DeliveryQuerySet,
    delivery: Delivery,
    message: str,
    *,
    now: datetime,
    status: str,
    unpackable: Iterable[int] = (),
) -> bool:
    """Fail the delivery if `held` still holds it; mark the files that could not be packed as
    they are (`unpackable`, by pk) for Run again to render anew."""
    with transaction.atomic():
        failed = bool(
            held.transition(
                from_statuses=[status],
                status=DeliveryStatus.FAILED,
                error_message=message,
                finished_at=now,
            )
        )
        if failed:
            DeliveryFile.objects.filter(delivery=delivery, pk__in=list(unpackable)).update(
                unpackable=True
            )
            _record(delivery, f"failed: {message}")
    return failed


# Packing


class PackLost(Exception):
    """This run no longer holds the delivery (the check failed it as lost): stop, write nothing."""


class PackError(Exception):
    """A file cannot be packed as it is (deleted, missing, or changed since it was rendered).
    `files`: those Run again must render anew (a deleted one cannot be: Export all again)."""

    def __init__(self, message: str, *, files: Iterable[DeliveryFile] = ()) -> None:
        super().__init__(message)
        self.file_ids = [file.pk for file in files]


@dataclass(frozen=True)
class _Packed:
    name: str  # the stored zip's
    size: int
    rows: list[dict]


def pack_run(*, delivery_id: int) -> None:
    """Claimed once, from packing with no run; writes only while it holds its claim, so a run
    the check has failed as lost (or that was only slow) leaves nothing behind."""
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PACKING, pack_started_at__isnull=True
    ).update(pack_started_at=now, heartbeat_at=now)
    if not claimed:
        return  # a second message, or a packing already under way or ended
    delivery = Delivery.objects.select_related("ad__project").get(pk=delivery_id)
    held = Delivery.objects.filter(
        pk=delivery_id, status=DeliveryStatus.PACKING, pack_started_at=now
    )
    try:
        packed = _pack(delivery, held, claimed_at=now)
    except PackLost:
        return
    except Exception as error:
        unpackable: list[int] = []
        if isinstance(error, PackError):
            message, unpackable = str(error), error.file_ids
        else:
            log.exception("Packing delivery %s failed", delivery.uuid)
            message = f"The packing failed: {_short(error)}; run it again."
        _fail(
            held,
            delivery,
            message,
            now=timezone.now(),
            status=DeliveryStatus.PACKING,
            unpackable=unpackable,
        )
        return
    with transaction.atomic():
        done = held.transition(
            from_statuses=[DeliveryStatus.PACKING],
            status=DeliveryStatus.READY,
            package=packed.name,
            package_size=packed.size,
            sheet=packed.rows,
            finished_at=timezone.now(),
        )
        if done:
            _record(delivery, f"ready, {len(packed.rows)} files")
    if not done:
        default_storage.delete(packed.name)


def package_name(delivery: Delivery) -> str:
    ad = delivery.ad
    stamp = timezone.localtime(delivery.created_at).strftime("%Y%m%d-%H%M")
    project, name = slugify(ad.project.name)[:60], slugify(ad.name)[:60]
    return f"{project or 'project'}_{name or 'ad'}_delivery_{stamp}.zip"


def _pack(delivery: Delivery, held: DeliveryQuerySet, *, claimed_at: datetime) -> _Packed:
    files = list(delivery.files.select_related("export__playlist"))
    if not files:
        raise PackError("It has no files: there is nothing to pack.")
    gone = [file.name for file in files if file.export is None]
    if gone:  # a deliverable deleted since the check claimed it (its exports with it)
        raise PackError(gone_message(gone))
    exports = {file.pk: file.export for file in files if file.export is not None}
    not_done = [file for file in files if exports[file.pk].status != ExportStatus.DONE]
    if not_done:
        listed = ", ".join(exports[file.pk].file_name for file in not_done)
        raise PackError(f"{listed} is not finished; run it again.", files=not_done)
    missing = [file for file in files if not _stored(exports[file.pk])]
    if missing:
        listed = ", ".join(exports[file.pk].file_name for file in missing)
        raise PackError(
            f"{listed}: its stored file is missing; run again to render it anew.", files=missing
        )
    reviews = playlist_reviews(export.playlist for export in exports.values())
    beat = _heartbeat(held, claimed_at=claimed_at)
    rows: list[dict] = []
    names: set[str] = set()
    name = package_name(delivery)
    with tempfile.TemporaryDirectory(prefix="delivery-") as workdir:
        target = Path(workdir) / name
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
            for file in files:
                export = exports[file.pk]
                entry = _unique(export.file_name, names)
                size, digest = _add_file(archive, file, export, entry, beat)
                row = sheet.sheet_row(
                    export,
                    size=size,
                    sha256=digest,
                    review=reviews[export.playlist_id],
                )
                rows.append(row | {"file_name": entry})
            # The sheets are small text: deflated, unlike the videos.
            archive.writestr(CSV_NAME, csv_bytes(sheet.sheet_csv(rows)), zipfile.ZIP_DEFLATED)
            archive.writestr(HTML_NAME, sheet.sheet_html(delivery, rows), zipfile.ZIP_DEFLATED)
        size = target.stat().st_size
        # No heartbeat is written while the zip is stored: the claim is renewed for as long
        # as storing it may take, so the check does not take a slow save for a lost run.
        renew_for_save(held, size=size, now=timezone.now())
        with target.open("rb") as handle:
            stored = default_storage.save(
                f"deliveries/{delivery.uuid}/{name}",
                File(handle),
                max_length=Delivery.package.field.max_length,
            )
    return _Packed(stored, size, rows)


def _unique(name: str, taken: set[str]) -> str:
    """Two deliverables may export under one name (same ad name, ratio and length): the later
    one's entry gets a number, so neither overwrites the other in the zip."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        stem, dot, suffix = name.rpartition(".")
        candidate = f"{stem}-{number}.{suffix}" if dot else f"{name}-{number}"
    taken.add(candidate)
    return candidate


def _stored(export) -> bool:
    return bool(export.video) and export.video.storage.exists(export.video.name)


def _add_file(
    archive: zipfile.ZipFile, file: DeliveryFile, export, entry: str, beat
) -> tuple[int, str]:
    """Copy the export's file into the zip chunk by chunk, stored, measuring it as it goes; the
    manifest's checksum, when it has one, must be the file's (else it changed since)."""
    if not _stored(export):  # removed since _pack looked
        raise PackError(
            f"{export.file_name}: its stored file is missing; run again to render it anew.",
            files=[file],
        )
    finished = timezone.localtime(export.finished_at or timezone.now())
    info = zipfile.ZipInfo(entry, date_time=finished.timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = export.video.size  # lets zipfile choose ZIP64 up front for a large file
    digest, size = hashlib.sha256(), 0
    with export.video.open("rb") as source, archive.open(info, "w") as sink:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            sink.write(chunk)
            size += len(chunk)
            beat()
    expected = sheet.manifest_value(export.manifest, "file", "sha256")
    if expected and expected != digest.hexdigest():
        raise PackError(
            f"{export.file_name} changed since it was rendered (its SHA-256 differs from the "
            "manifest's); run again to render it anew.",
            files=[file],
        )
    return size, digest.hexdigest()


def save_allowance(size: int) -> timedelta:
    """How long storing a zip of `size` bytes may take, at the slowest rate allowed."""
    return timedelta(seconds=size / SAVE_BYTES_PER_SECOND)


def renew_for_save(held: DeliveryQuerySet, *, size: int, now: datetime) -> None:
    """Renew the run's claim right before the zip is stored: its heartbeat is written as of the
    save's allowed end (now + save_allowance), so the check's bound (quiet for stale_after())
    counts from then: the save is part of the run. Raise PackLost (nothing stored yet) once
    the run no longer holds its claim."""
    if not held.update(heartbeat_at=now + save_allowance(size)):
        raise PackLost


def _heartbeat(held: DeliveryQuerySet, *, claimed_at: datetime):
    """Write the heartbeat at most every heartbeat_every() while packing; raise PackLost once
    the run no longer holds its claim."""
    last = claimed_at

    def beat() -> None:
        nonlocal last
        now = timezone.now()
        if now - last >= heartbeat_every():
            if not held.update(heartbeat_at=now):
                raise PackLost
            last = now

    return beat


def _short(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= SHORT_REASON else text[: SHORT_REASON - 1] + "…"


def _record(delivery: Delivery, outcome: str) -> None:
    activity_record(
        project=delivery.ad.project,
        verb=Verb.EXPORTED,
        subject=f"the deliverables of {delivery.ad.name} as a delivery ({outcome})"[:300],
        actor=delivery.created_by,
    )
