"""Noticing that a delivery's files have ended, and packing them: once, never half-done, the zip
holding every file and the sheet that describes them."""

import csv
import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from studio.deliveries import packing, services
from studio.deliveries.models import Delivery, DeliveryStatus
from studio.playlists.models import ExportStatus
from studio.review.models import ReviewState
from studio.review.services import review_decide
from tests.deliveries.conftest import (
    exports_of,
    fail_export,
    finish_export,
    packed,
    video_bytes,
)

pytestmark = pytest.mark.django_db


def entries(delivery: Delivery) -> dict[str, bytes]:
    with delivery.package.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_nothing_is_packed_while_a_file_renders(started):
    vertical, _square = exports_of(started)
    finish_export(vertical)
    assert packing.deliveries_check() == []
    started.refresh_from_db()
    assert started.status == DeliveryStatus.RENDERING and not started.package


def test_packing_run_twice_packs_once(started):
    for export in exports_of(started):
        finish_export(export)
    claimed = packing.deliveries_check()
    assert claimed == [started.pk]
    assert packing.deliveries_check() == []  # claimed once
    packing.pack_run(delivery_id=started.pk)
    started.refresh_from_db()
    first = (started.package.name, started.finished_at)
    packing.pack_run(delivery_id=started.pk)  # a second message
    started.refresh_from_db()
    assert started.status == DeliveryStatus.READY
    assert (started.package.name, started.finished_at) == first
    assert len(stored_packages(started)) == 1


def stored_packages(delivery: Delivery) -> list[str]:
    storage = delivery.package.storage
    folder = f"deliveries/{delivery.uuid}"
    return storage.listdir(folder)[1] if storage.exists(folder) else []


def test_a_failed_export_fails_the_delivery_naming_the_file_and_its_error(started):
    vertical, square = exports_of(started)
    finish_export(vertical)
    fail_export(square, "Item 2 is not a playable video.")
    delivery = packed(started)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error_message == f"{square.file_name} failed: Item 2 is not a playable video."
    assert vertical.file_name not in delivery.error_message
    assert not delivery.package  # nothing half-done


def test_the_zip_holds_each_file_stored_and_the_sheets(ready):
    assert ready.status == DeliveryStatus.READY, ready.error_message
    exports = exports_of(ready)
    files = entries(ready)
    assert sorted(files) == sorted(
        [*(e.file_name for e in exports), "delivery-sheet.csv", "delivery-sheet.html"]
    )
    for export in exports:
        assert files[export.file_name] == video_bytes(export)
    with ready.package.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        kinds = {info.filename: info.compress_type for info in archive.infolist()}
    assert all(kinds[e.file_name] == zipfile.ZIP_STORED for e in exports)
    assert ready.package_size == ready.package.size


def test_the_csv_has_a_row_per_file_with_its_checksum(ready):
    exports = exports_of(ready)
    files = entries(ready)
    rows = list(csv.DictReader(io.StringIO(files["delivery-sheet.csv"].decode())))
    assert list(rows[0]) == [
        "Placement",
        "File name",
        "Resolution",
        "Duration (s)",
        "Loudness target (LUFS)",
        "Integrated loudness (LUFS)",
        "True peak (dBTP)",
        "Size (bytes)",
        "SHA-256",
        "Review state",
        "Approved by",
        "Approved at",
    ]
    assert [row["Placement"] for row in rows] == ["Reels, TikTok, Shorts (9:16)", "Feed (1:1)"]
    for row, export in zip(rows, exports, strict=True):
        data = files[export.file_name]
        assert row["File name"] == export.file_name
        assert row["SHA-256"] == hashlib.sha256(data).hexdigest()
        assert row["Size (bytes)"] == str(len(data))
    assert rows[0]["Resolution"] == "1080x1920" and rows[1]["Resolution"] == "1080x1080"
    assert rows[0]["Duration (s)"] == "12.000"
    assert (rows[0]["Integrated loudness (LUFS)"], rows[0]["True peak (dBTP)"]) == ("-14.1", "-1.3")
    assert rows[0]["Review state"] == "In review" and rows[0]["Approved by"] == "—"


def test_an_older_export_without_the_file_keys_shows_dashes(started):
    vertical, square = exports_of(started)
    finish_export(vertical, manifest=False)
    finish_export(square)
    delivery = packed(started)
    row = delivery.sheet[0]
    assert row["resolution"] == row["loudness_integrated"] == row["true_peak"] == "—"
    assert row["duration"] == "12.000"  # the export's own duration
    assert row["sha256"] == hashlib.sha256(video_bytes(vertical)).hexdigest()


def test_the_html_sheet_shows_review_state_and_who_approved(studio, started, deliverables):
    review_decide(target=deliverables[0], state=ReviewState.APPROVED, user=studio.rita)
    review_decide(target=deliverables[1], state=ReviewState.CHANGES_REQUESTED, user=studio.rita)
    for export in exports_of(started):
        finish_export(export)
    delivery = packed(started)
    page = entries(delivery)["delivery-sheet.html"].decode()
    assert "<td>Approved</td>" in page and "<td>rita" in page
    assert "<td>Changes requested</td>" in page
    assert "@media print" in page  # its stylesheet inline: the zip has no server
    for export in exports_of(delivery):
        assert hashlib.sha256(video_bytes(export)).hexdigest() in page
    assert delivery.sheet[0]["approved_by"] == "rita"
    assert delivery.sheet[1]["approved_by"] == "—"


def test_a_file_changed_since_it_was_rendered_fails_the_packing(started):
    vertical, square = exports_of(started)
    finish_export(vertical)
    finish_export(square)
    with open(square.video.path, "ab") as handle:
        handle.write(b"tampered")
    delivery = packed(started)
    assert delivery.status == DeliveryStatus.FAILED
    assert square.file_name in delivery.error_message and "SHA-256" in delivery.error_message
    assert not delivery.package and stored_packages(delivery) == []


def test_a_packing_run_gone_quiet_is_failed_and_can_run_again(studio, started, settings):
    settings.STUDIO_EXPORT_STALE_SECONDS = 60
    for export in exports_of(started):
        finish_export(export)
    assert packing.deliveries_check() == [started.pk]
    long_ago = timezone.now() - timedelta(seconds=61)
    Delivery.objects.filter(pk=started.pk).update(pack_started_at=long_ago, heartbeat_at=long_ago)
    packing.deliveries_check()
    started.refresh_from_db()
    assert started.status == DeliveryStatus.FAILED
    assert started.error_message == packing.LOST_MESSAGE
    packing.pack_run(delivery_id=started.pk)  # the lost run's message, late: writes nothing
    started.refresh_from_db()
    assert started.status == DeliveryStatus.FAILED
    services.delivery_retry(user=studio.bob, delivery=started)
    assert all(e.status == ExportStatus.DONE for e in exports_of(started))  # none rendered again
    assert packed(started).status == DeliveryStatus.READY


def test_a_lost_packing_message_is_sent_again(started, settings):
    settings.STUDIO_EXPORT_RESEND_SECONDS = 30
    for export in exports_of(started):
        finish_export(export)
    assert packing.deliveries_check() == [started.pk]
    assert packing.deliveries_check() == []
    earlier = timezone.now() - timedelta(seconds=31)
    Delivery.objects.filter(pk=started.pk).update(heartbeat_at=earlier)
    assert packing.deliveries_check() == [started.pk]
    assert packing.deliveries_check() == []  # once per resend interval


def test_a_delivery_whose_deliverables_were_deleted_packs_nothing(started, deliverables):
    for deliverable in deliverables:
        deliverable.delete()
    delivery = packed(started)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error_message == "Its deliverables were deleted: there is nothing left to pack."
