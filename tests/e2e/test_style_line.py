"""Generate on one shot when the brand kit appends a style line: the confirmation opens in the
shot's card, shows the prompt as it will be sent, and lets the line be changed for this take."""

import pytest
from playwright.sync_api import expect

from studio.generation.models import Take
from tests.e2e.helpers import loaded, log_in
from tests.factories import make_brand_kit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_shots_style_line_is_changed_in_its_card_before_generate(page, live_server, studio):
    make_brand_kit(studio.project, style_line="Warm golden light")
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/storyboards/{studio.storyboard.uuid}/?view=list")
    loaded(page)
    card = page.locator(f"#shot-{studio.shot.uuid}")
    card.get_by_role("button", name="Generate", exact=True).click()
    confirmation = card.get_by_role("alertdialog")
    expect(confirmation).to_contain_text("Warm golden light")
    confirmation.get_by_label("Style line for these takes").fill("Overcast, handheld")
    confirmation.get_by_role("button", name="Show with this line").click()
    expect(confirmation).to_contain_text("Overcast, handheld")
    confirmation.get_by_role("button", name="Confirm").click()
    expect(card).to_contain_text("1 take queued")
    assert Take.objects.get().prompt.endswith("Overcast, handheld")
    assert page.problems == [], page.problems
