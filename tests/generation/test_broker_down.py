"""A click whose message cannot reach the broker still answers normally: the take and its
reservation were committed, and the dispatcher sends it once the broker is back."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from devtools.processes import free_port
from studio.generation import ledger, tasks
from studio.generation.dispatch import takes_dispatch
from studio.generation.models import Take, TakeStatus
from studio.playlists.models import Export, ExportStatus, PlaylistItem
from tests.factories import make_take
from tests.live_services import celery_broker

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def broker_down():
    # Nothing listens on a port just found free: every publish is refused.
    with celery_broker(f"redis://127.0.0.1:{free_port()}/0"):
        yield


def test_generate_answers_normally_when_the_broker_is_down(
    client, studio, broker_down, django_capture_on_commit_callbacks
):
    client.force_login(studio.bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("shot_generate", args=[studio.shot.uuid]), **HTMX)
    assert response.status_code == 200
    take = Take.objects.get()
    assert take.status == TakeStatus.PENDING
    costs, _ = ledger.project_costs(studio.project)
    assert costs.reserved == take.estimated_cost > Decimal("0")
    # The dispatcher hands the take out as soon as it runs again.
    handed = takes_dispatch()
    assert [(step.take_id, step.action) for step in handed] == [(take.pk, "submit")]


def test_enqueue_sends_when_the_broker_is_up(monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.submit_take, "delay", lambda *args: sent.append(args))
    tasks.enqueue(tasks.submit_take, 7)
    assert sent == [(7,)]


def test_export_answers_normally_when_the_broker_is_down(
    client, studio, playlist, broker_down, django_capture_on_commit_callbacks
):
    take = make_take(studio.shot)  # completed, as the factory leaves it
    take.video.save("take.mp4", ContentFile(b"\x00" * 64))
    PlaylistItem.objects.create(playlist=playlist, take=take, position=1)
    client.force_login(studio.bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("playlist_export", args=[playlist.uuid]))
    assert response.status_code == 302
    export = Export.objects.get()
    assert export.status == ExportStatus.QUEUED  # the export sweep sends it once it can
