"""The gateway-wallet pause banner comes to a storyboard page that is open, and goes, without
a reload."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from studio.generation.models import PauseReason, SubmitPause
from tests.e2e.helpers import loaded, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_pause_banner_comes_and_goes_on_an_open_storyboard(page, live_server, studio):
    log_in(page, live_server.url, "bob")
    page.goto(live_server.url + reverse("storyboard_detail", args=[studio.storyboard.uuid]))
    loaded(page)
    banner = page.get_by_role("alert", name="Generation paused")
    expect(banner).to_have_count(0)
    page.evaluate("window.marker = 'same page'")  # gone if the page were reloaded

    pause = SubmitPause.objects.create(reason=PauseReason.CREDITS, message="Wallet is empty")
    expect(banner).to_contain_text("Generation is paused")

    SubmitPause.objects.filter(pk=pause.pk).update(resumed_at=timezone.now())
    expect(banner).to_have_count(0)
    assert page.evaluate("window.marker") == "same page"
    assert page.problems == []
