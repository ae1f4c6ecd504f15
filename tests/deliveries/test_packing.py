"""Noticing that a delivery's files have ended, and packing them: once, never half-done, the zip
holding every file and the sheet that describes them."""

import csv
import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

from studio.deliveries import packing, services
from studio.deliveries.models import Delivery, DeliveryStatus
from studio.playlists.models import ExportStatus
from studio.review.models import Decision, ReviewState
from studio.review.services import review_decide
from tests.deliveries.conftest import (
    exports_of,
    fail_export,
    finish_export,
    packed,
    video_bytes,
)
from tests.factories import make_link

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
    assert files["delivery-sheet.csv"].startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(files["delivery-sheet.csv"].decode("utf-8-sig"))))
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
    vertical, square = exports_of(started)
    for deliverable in deliverables:
        deliverable.delete()
    delivery = packed(started)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error_message == (
        f"{vertical.file_name}, {square.file_name} were deleted before they were packed; "
        "run Export all again."
    )


# A deliverable deleted meanwhile: its row stays, and the delivery fails naming it.


def test_a_deliverable_deleted_while_rendering_fails_the_delivery_naming_it(started, deliverables):
    vertical, square = exports_of(started)
    finish_export(vertical)
    deliverables[1].delete()  # its exports with it, while the delivery renders
    assert started.files.count() == 2  # the row is kept, its name with it
    delivery = packed(started)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error_message == (
        f"{square.file_name} was deleted before it was packed; run Export all again."
    )
    assert not delivery.package and stored_packages(delivery) == []


def test_a_deliverable_deleted_once_claimed_for_packing_fails_the_packing(started, deliverables):
    vertical, square = exports_of(started)
    finish_export(vertical)
    finish_export(square)
    [delivery_id] = packing.deliveries_check()
    deliverables[1].delete()
    packing.pack_run(delivery_id=delivery_id)
    started.refresh_from_db()
    assert started.status == DeliveryStatus.FAILED
    assert started.error_message == (
        f"{square.file_name} was deleted before it was packed; run Export all again."
    )
    assert not started.package and stored_packages(started) == []


# Run again renders anew a file that could not be packed as it was.


def test_run_again_renders_anew_a_file_changed_since_it_was_rendered(studio, started):
    vertical, square = exports_of(started)
    finish_export(vertical)
    finish_export(square)
    with open(square.video.path, "ab") as handle:
        handle.write(b"tampered")
    assert packed(started).status == DeliveryStatus.FAILED
    assert "run again" in started.error_message.lower()
    services.delivery_retry(user=studio.bob, delivery=started)
    again = exports_of(started)
    assert again[0] == vertical  # kept
    assert again[1].playlist == square.playlist and again[1].version == 2
    finish_export(again[1])
    assert packed(started).status == DeliveryStatus.READY


def test_run_again_renders_anew_a_file_whose_stored_file_is_missing(studio, started):
    vertical, square = exports_of(started)
    finish_export(vertical)
    finish_export(square)
    square.video.storage.delete(square.video.name)
    delivery = packed(started)
    assert delivery.status == DeliveryStatus.FAILED
    assert square.file_name in delivery.error_message and "missing" in delivery.error_message
    services.delivery_retry(user=studio.bob, delivery=delivery)
    again = exports_of(delivery)
    assert again[0] == vertical and again[1].version == 2
    finish_export(again[1])
    assert packed(delivery).status == DeliveryStatus.READY


def test_run_again_refuses_a_file_whose_deliverable_was_deleted(studio, started, deliverables):
    for export in exports_of(started):
        finish_export(export)
    deliverables[1].delete()
    assert packed(started).status == DeliveryStatus.FAILED
    with pytest.raises(ValidationError) as refused:
        services.delivery_retry(user=studio.bob, delivery=started)
    assert "run Export all again" in refused.value.messages[0]
    started.refresh_from_db()
    assert started.status == DeliveryStatus.FAILED


# A slow save of the zip is part of the run: the check does not fail it as lost meanwhile.


def test_the_claim_is_renewed_for_the_save_and_the_check_waits_for_it(started, settings):
    settings.STUDIO_EXPORT_STALE_SECONDS = 60
    for export in exports_of(started):
        finish_export(export)
    [delivery_id] = packing.deliveries_check()
    now = timezone.now()
    Delivery.objects.filter(pk=delivery_id).update(pack_started_at=now, heartbeat_at=now)
    held = Delivery.objects.filter(pk=delivery_id, pack_started_at=now)
    size = 10 * packing.SAVE_BYTES_PER_SECOND  # ten seconds' worth at the slowest rate
    packing.renew_for_save(held, size=size, now=now)
    allowance = packing.save_allowance(size)
    assert allowance == timedelta(seconds=10)
    quiet = now + timedelta(seconds=61)  # past the stale bound of a plain heartbeat
    packing.deliveries_check(now=quiet)
    assert Delivery.objects.get(pk=delivery_id).status == DeliveryStatus.PACKING
    packing.deliveries_check(now=quiet + allowance)  # the save's allowance spent too: lost
    assert Delivery.objects.get(pk=delivery_id).status == DeliveryStatus.FAILED


def test_a_check_during_a_slow_save_leaves_the_packing_be(started, monkeypatch, settings):
    settings.STUDIO_EXPORT_STALE_SECONDS = 60
    monkeypatch.setattr(packing, "SAVE_BYTES_PER_SECOND", 1024)  # this small zip: over 100 s
    for export in exports_of(started):
        finish_export(export)
    [delivery_id] = packing.deliveries_check()
    save = default_storage.save

    def slow_save(*args, **kwargs):  # the check runs as if the save took a little over 60 s
        packing.deliveries_check(now=timezone.now() + timedelta(seconds=61))
        return save(*args, **kwargs)

    monkeypatch.setattr(default_storage, "save", slow_save)
    packing.pack_run(delivery_id=delivery_id)
    started.refresh_from_db()
    assert started.status == DeliveryStatus.READY, started.error_message
    assert started.package and default_storage.exists(started.package.name)


def test_renewing_a_claim_no_longer_held_stores_nothing(started):
    for export in exports_of(started):
        finish_export(export)
    [delivery_id] = packing.deliveries_check()
    held = Delivery.objects.filter(pk=delivery_id, pack_started_at=timezone.now())  # not ours
    with pytest.raises(packing.PackLost):
        packing.renew_for_save(held, size=1, now=timezone.now())


# The CSV is safe to open in a spreadsheet: no cell is taken as a formula.


def test_the_csv_neutralises_cells_a_spreadsheet_would_take_as_a_formula():
    cells = ['=HYPERLINK("http://x")', "+1+1", "-cmd", "@SUM(A1)", "\tx", "\rx", "plain"]
    rows = [
        {"approved_by": cell, "loudness_integrated": "-14.1", "size_bytes": 12} for cell in cells
    ]
    read = list(csv.DictReader(io.StringIO(packing.sheet.sheet_csv(rows))))
    assert [row["Approved by"] for row in read] == [
        '\'=HYPERLINK("http://x")',
        "'+1+1",
        "'-cmd",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "plain",
    ]
    assert {row["Integrated loudness (LUFS)"] for row in read} == {"-14.1"}  # a number stays
    assert {row["Size (bytes)"] for row in read} == {"12"}


def test_a_guests_formula_name_is_quoted_in_the_csv_not_in_the_html(started, deliverables):
    for export in exports_of(started):
        finish_export(export)
    Decision.objects.create(
        playlist=deliverables[0],
        state=ReviewState.APPROVED,
        guest_name="=cmd|'/c calc'!A1",
        share_link=make_link(deliverables[0], deliverables[0].project.created_by),
    )
    delivery = packed(started)
    files = entries(delivery)
    rows = list(csv.DictReader(io.StringIO(files["delivery-sheet.csv"].decode("utf-8-sig"))))
    assert rows[0]["Approved by"] == "'=cmd|'/c calc'!A1 (guest)"
    assert "<td>=cmd|&#x27;/c calc&#x27;!A1 (guest)" in files["delivery-sheet.html"].decode()
    assert delivery.sheet[0]["approved_by"] == "=cmd|'/c calc'!A1 (guest)"
