"""A card in use keeps what a live answer owes it: a redraw (a role changed, so its buttons
differ at the same stamp) that arrived while the card had focus is still merged when focus
leaves, though a later answer carried the same card at the same stamp without a redraw."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from studio.projects.models import Shot
from studio.teams.models import Membership, Role
from tests.e2e.helpers import log_in
from tests.factories import make_take

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_redraw_owed_to_a_busy_card_survives_a_later_answer(page, live_server, studio):
    take = make_take(studio.shot)
    log_in(page, live_server.url, "vera")
    page.goto(f"{live_server.url}/storyboards/{studio.storyboard.uuid}/?view=list")
    expect(page.locator("#live-status")).to_contain_text("vera here")
    card = page.locator(f"#take-{take.uuid}")
    use = card.locator("button", has_text="Use take 1 as selected")  # in a closed <details>
    expect(use).to_have_count(0)  # a viewer's card
    # In use: live answers for the card wait for focus to leave it.
    card.locator("summary", has_text="Actions").focus()

    Membership.objects.filter(user=studio.vera).update(role=Role.EDITOR)
    # The redraw reaches the shot's body (not in use) and waits for the card.
    edit = page.get_by_role("link", name="Edit shot 1")
    expect(edit).to_be_visible(timeout=15_000)
    expect(use).to_have_count(0)

    # The shot moves: the next answer carries the card again, at the same stamp, no redraw.
    Shot.objects.filter(pk=studio.shot.pk).update(
        prompt="A lake at dusk", updated_at=timezone.now()
    )
    expect(page.locator(f"#shot-{studio.shot.uuid}-body")).to_contain_text("A lake at dusk")
    expect(use).to_have_count(0)

    page.evaluate("document.activeElement.blur()")
    expect(use).to_have_count(1)
    # The take was made without a video or poster: only the poster's 404 is expected.
    assert [problem for problem in page.problems if "poster.jpg" not in problem] == []
