"""The gateway-wallet pause banner comes to a storyboard page that is open, and goes, without
a reload: the pause begun by the worker, ended by an administrator's Resume."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from studio.generation.models import PauseReason
from studio.generation.services import submissions_resume
from studio.generation.steps import submissions_pause
from tests.e2e.helpers import loaded, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_pause_banner_comes_and_goes_on_an_open_storyboard(page, live_server, studio):
    log_in(page, live_server.url, "bob")
    page.goto(live_server.url + reverse("storyboard_detail", args=[studio.storyboard.uuid]))
    loaded(page)
    banner = page.get_by_role("alert", name="Generation paused")
    expect(banner).to_have_count(0)
    page.evaluate("window.marker = 'same page'")  # gone if the page were reloaded

    submissions_pause(reason=PauseReason.CREDITS, message="Wallet is empty")
    expect(banner).to_contain_text("Generation is paused")

    studio.alice.is_staff = True
    studio.alice.save(update_fields=["is_staff"])
    submissions_resume(user=studio.alice)
    expect(banner).to_have_count(0)
    assert page.evaluate("window.marker") == "same page"
    assert page.problems == []
