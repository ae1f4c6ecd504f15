"""A change that writes no shot reaches an open page: a new price shows on its cards without
a reload (the live answer carries every shot, and the page redraws cards whose stamps have not
moved)."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from studio.catalog.models import VideoModel
from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_new_price_shows_on_an_open_page(page, live_server, studio):
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/storyboards/{studio.storyboard.uuid}/?view=list")
    cost = page.locator(f"#shot-{studio.shot.uuid}-body .chip.money")
    expect(cost).to_have_text("$1.60")  # 4 s at $0.40
    expect(page.locator("#live-status")).to_contain_text("bob here")
    VideoModel.objects.filter(pk=studio.veo.pk).update(price_per_second=Decimal("0.50"))
    # Read again within SLOW_PARTS_SECONDS (5 s), then the next poll (3 s).
    expect(cost).to_have_text("$2.00", timeout=15_000)
