"""The cost estimate beside a new shot's duration always speaks of the duration in the field."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_duration_typed_before_the_page_finished_loading_gets_its_estimate(
    page, live_server, studio
):
    log_in(page, live_server.url, "alice")
    # htmx held back, as on a slow connection (or a browser putting back a form's old values
    # on Back): the duration is typed before anything listens to it.
    page.route("**/htmx-*.js", lambda route: route.abort())
    page.goto(live_server.url + reverse("storyboard_detail", args=[studio.storyboard.uuid]))
    page.get_by_label("Duration (seconds)").fill("4")
    expect(page.locator("#estimate")).to_have_text("5 s, $2.00")  # the form's default

    page.unroute("**/htmx-*.js")
    page.add_script_tag(url=page.locator("script[src*='htmx-']").get_attribute("src"))

    expect(page.locator("#estimate")).to_have_text("4 s, $1.60")
