"""The beat task that notices ended deliveries, and the packing task on the exports queue."""

import pytest
from django.conf import settings
from django.core.files.storage import default_storage

from studio.deliveries import packing, tasks
from studio.deliveries.models import Delivery, DeliveryStatus
from tests.deliveries.conftest import exports_of, finish_export

pytestmark = pytest.mark.django_db


def test_packing_runs_on_the_exports_queue_and_beat_checks_every_few_seconds():
    assert settings.CELERY_TASK_ROUTES["studio.deliveries.tasks.pack_delivery"] == {
        "queue": "exports"
    }
    check = settings.CELERY_BEAT_SCHEDULE["check-deliveries"]
    assert check["task"] == "studio.deliveries.tasks.check_deliveries"
    assert check["schedule"] <= 5 and check["options"]["expires"] <= 30


def test_the_check_sends_one_packing_message_however_often_it_runs(started, monkeypatch):
    sent: list[tuple] = []
    monkeypatch.setattr(tasks.pack_delivery, "delay", lambda *args: sent.append(args))
    tasks.check_deliveries()
    assert sent == []  # still rendering
    for export in exports_of(started):
        finish_export(export)
    tasks.check_deliveries()
    tasks.check_deliveries()
    assert sent == [(started.pk,)]
    tasks.pack_delivery(started.pk)
    tasks.pack_delivery(started.pk)
    started.refresh_from_db()
    assert started.status == DeliveryStatus.READY


def test_an_unexpected_error_fails_the_packing_with_a_reason(started, monkeypatch, caplog):
    for export in exports_of(started):
        finish_export(export)

    def refuse(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(default_storage, "save", refuse)
    [delivery_id] = packing.deliveries_check()
    packing.pack_run(delivery_id=delivery_id)
    started.refresh_from_db()
    assert started.status == DeliveryStatus.FAILED
    assert started.error_message == ("The packing failed: No space left on device; run it again.")
    assert "Packing delivery" in caplog.text


def test_a_long_packing_writes_its_heartbeat(started, monkeypatch, settings):
    settings.STUDIO_EXPORT_HEARTBEAT_SECONDS = 0
    monkeypatch.setattr(packing, "CHUNK", 1024)  # many chunks, each a sign of life
    for export in exports_of(started):
        finish_export(export)
    [delivery_id] = packing.deliveries_check()
    packing.pack_run(delivery_id=delivery_id)
    started.refresh_from_db()
    assert started.status == DeliveryStatus.READY
    assert started.heartbeat_at > started.pack_started_at


def test_a_run_that_lost_its_claim_stops_and_leaves_nothing(started, monkeypatch):
    """The check failed it as lost while it was only slow: what it still does is dropped."""
    for export in exports_of(started):
        finish_export(export)
    [delivery_id] = packing.deliveries_check()
    sheet_csv = packing.sheet.sheet_csv

    def lost_meanwhile(rows):
        Delivery.objects.filter(pk=delivery_id).update(
            status=DeliveryStatus.FAILED, error_message=packing.LOST_MESSAGE
        )
        return sheet_csv(rows)

    monkeypatch.setattr(packing.sheet, "sheet_csv", lost_meanwhile)
    packing.pack_run(delivery_id=delivery_id)
    started.refresh_from_db()
    assert started.status == DeliveryStatus.FAILED and not started.package
    assert not default_storage.exists(f"deliveries/{started.uuid}")
