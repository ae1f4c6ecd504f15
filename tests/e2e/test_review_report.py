"""In Chromium: the team page and the share page fit a 390 px phone without sideways scrolling
(the share page's lifetime select sizes to its options); the review control presses the
reviewer's choice; the review report passes axe-core and prints without the studio's chrome."""

import pytest
from playwright.sync_api import Page, expect

from studio.playlists.models import Playlist
from studio.review.models import Comment, Decision
from studio.teams.models import Invitation
from tests.e2e.helpers import assert_accessible, loaded, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def scroll_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_the_team_and_share_pages_fit_a_phone(phone, live_server, studio):
    Invitation.objects.create(
        team=studio.team, email="someone.with.a.long.address@example.com", invited_by=studio.alice
    )
    playlist = Playlist.objects.create(project=studio.project, name="Hero 15")
    log_in(phone, live_server.url, "alice")
    phone.goto(f"{live_server.url}/teams/{studio.team.uuid}/")
    loaded(phone)
    rule = phone.get_by_role("group", name="How the state follows from the reviewers")
    expect(rule).to_be_visible()
    assert scroll_width(phone) <= PHONE["width"]
    assert_accessible(phone)  # the role table's scrolling region is reachable by keyboard
    phone.goto(f"{live_server.url}/playlists/{playlist.uuid}/share/")
    loaded(phone)
    phone.get_by_role("button", name="Create link").click()
    expect(phone.get_by_role("button", name="Copy link")).to_be_visible()
    lifetime = phone.get_by_label("Expires after").bounding_box()
    assert lifetime is not None and lifetime["width"] < 150  # "30 days", not the card's width
    assert scroll_width(phone) <= PHONE["width"]


def test_the_review_control_presses_my_choice_and_the_report_prints(page, live_server, studio):
    playlist = Playlist.objects.create(project=studio.project, name="Hero 15")
    Decision.objects.create(playlist=playlist, state="approved", decided_by=studio.bob)
    Comment.objects.create(playlist=playlist, body="Tighter ending", author=studio.bob)
    log_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/playlists/{playlist.uuid}/")
    loaded(page)
    control = page.get_by_role("group", name="Your decision on the playlist")
    control.get_by_role("button", name="Request changes").click()
    pressed = control.get_by_role("button", name="Request changes")
    expect(pressed).to_have_attribute("aria-pressed", "true")
    review = page.locator("#playlist-review")
    expect(review.locator(".review-state")).to_contain_text("Changes requested")
    expect(review.locator(".reviewer-decisions")).to_contain_text("bob Approved")
    pressed.focus()
    page.keyboard.press("Enter")  # pressed again: taken back
    expect(control.get_by_role("button", name="Request changes")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(review.locator(".review-state")).to_contain_text("Approved")

    review.get_by_role("link", name="Review report").click()
    expect(page.get_by_role("heading", name="Review report: Hero 15")).to_be_visible()
    expect(page.get_by_text("Tighter ending")).to_be_visible()
    assert_accessible(page)
    page.emulate_media(media="print")
    expect(page.locator(".topbar")).to_be_hidden()
    expect(page.get_by_role("link", name="Download CSV")).to_be_hidden()
    expect(page.get_by_text("Tighter ending")).to_be_visible()
