"""Which pauses hold submissions is kept in the cache for a few seconds, since every page and
every live poll shows it; a pause begun or ended through the studio shows at the next one."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studio.generation import pauses
from studio.generation.models import PauseReason, SubmitPause
from studio.generation.steps import submissions_pause
from tests.helpers import live_poll

pytestmark = pytest.mark.django_db

NOTHING_PAUSED = '<div id="pause-banner" data-state="">'


@pytest.fixture(autouse=True)
def pauses_kept(monkeypatch):
    # Kept far longer than in production, so that however slow the machine, every request
    # of a test falls within it.
    monkeypatch.setattr(pauses, "PAUSES_SECONDS", 600)


def test_polls_and_pages_after_the_first_read_no_pauses(client, studio):
    client.force_login(studio.bob)
    live_poll(client, studio)
    with CaptureQueriesContext(connection) as queries:
        answer = live_poll(client, studio).text
        page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid])).text
    assert NOTHING_PAUSED in answer and NOTHING_PAUSED in page
    assert [each["sql"] for each in queries if "submitpause" in each["sql"]] == []


def test_a_pause_the_worker_begins_shows_at_the_next_poll(
    client, studio, django_capture_on_commit_callbacks
):
    client.force_login(studio.bob)
    assert NOTHING_PAUSED in live_poll(client, studio).text
    with django_capture_on_commit_callbacks(execute=True):
        submissions_pause(reason=PauseReason.CREDITS, message="Wallet is empty")
    held = SubmitPause.objects.get()
    answer = live_poll(client, studio).text
    assert f'<div id="pause-banner" data-state="{held.pk} ">' in answer
    assert "Generation is paused" in answer


def test_resume_on_a_banner_kept_after_its_pause_ended_takes_it_down(
    client, studio, django_capture_on_commit_callbacks
):
    studio.alice.is_staff = True
    studio.alice.save(update_fields=["is_staff"])
    held = SubmitPause.objects.create(reason=PauseReason.CREDITS, message="Wallet is empty")
    client.force_login(studio.alice)
    assert "Generation is paused" in live_poll(client, studio).text
    SubmitPause.objects.filter(pk=held.pk).update(resumed_at=held.created_at)  # in the admin
    assert "Generation is paused" in live_poll(client, studio).text  # kept
    page = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("submissions_resume"), {"next": page})
    assert NOTHING_PAUSED in live_poll(client, studio).text


def test_a_resume_shows_at_the_next_poll(client, studio, django_capture_on_commit_callbacks):
    studio.alice.is_staff = True
    studio.alice.save(update_fields=["is_staff"])
    SubmitPause.objects.create(reason=PauseReason.CREDITS, message="Wallet is empty")
    client.force_login(studio.alice)
    assert "Generation is paused" in live_poll(client, studio).text
    page = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("submissions_resume"), {"next": page})
    assert NOTHING_PAUSED in live_poll(client, studio).text
