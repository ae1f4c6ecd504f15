"""The gateway-wallet pause banner reaches a storyboard page that is already open: its live
update carries the banner (storyboard.js swaps it in when which pauses it shows changed)."""

import pytest
from django.urls import reverse

from studio.generation.models import PauseReason, SubmitPause
from tests.helpers import HTMX, live_poll

pytestmark = pytest.mark.django_db


def pause() -> SubmitPause:
    return SubmitPause.objects.create(reason=PauseReason.CREDITS, message="Wallet is empty")


def test_the_live_update_carries_no_banner_while_nothing_is_paused(client, studio):
    client.force_login(studio.bob)
    text = live_poll(client, studio).text
    assert '<div id="pause-banner" data-state="">' in text
    assert "Generation is paused" not in text


def test_the_live_update_carries_the_banner_once_paused(client, studio):
    client.force_login(studio.bob)
    live_poll(client, studio)
    held = pause()
    text = live_poll(client, studio).text
    assert f'<div id="pause-banner" data-state="{held.pk} ">' in text
    assert "Generation is paused" in text
    assert "Resume submissions" not in text  # bob may not resume


def test_resume_from_the_live_banner_returns_to_the_storyboard(client, studio):
    studio.alice.is_staff = True
    studio.alice.save(update_fields=["is_staff"])
    pause()
    client.force_login(studio.alice)
    text = live_poll(client, studio).text
    page = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    assert f'name="next" value="{page}"' in text  # not the live fragment's own URL
    response = client.post(reverse("submissions_resume"), {"next": page})
    assert response.url == page
    assert '<div id="pause-banner" data-state="">' in live_poll(client, studio).text


def test_the_full_page_shows_the_banner_in_the_same_place(client, studio):
    held = pause()
    client.force_login(studio.vera)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid])).text
    assert f'<div id="pause-banner" data-state="{held.pk} ">' in page


def test_an_outsider_gets_no_live_update(client, studio):
    pause()
    client.force_login(studio.oscar)
    response = client.get(reverse("storyboard_live", args=[studio.storyboard.uuid]), **HTMX)
    assert response.status_code == 404
