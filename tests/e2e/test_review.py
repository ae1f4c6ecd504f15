"""Reviewing in Chromium. A guest reviews a shared playlist: gives a name, pins a comment to the
preview's time, clicks it to seek back there, and approves; a reviewer pins a comment to a take
and it seeks the take's video. Checks that the scripts run under the CSP."""

import pytest
from playwright.sync_api import expect

from studio.playlists.models import Playlist
from studio.playlists.services import playlist_add_takes
from studio.projects.models import Shot
from studio.review.models import Comment, Decision
from studio.review.services import review_decide
from tests.e2e.helpers import loaded, log_in
from tests.e2e.rendered import rendered_takes
from tests.factories import make_link

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shared_playlist(studio, tmp_path):
    second = Shot.objects.create(
        storyboard=studio.storyboard,
        position=2,
        prompt="Scene 2",
        duration=2,
        aspect_ratio="16:9",
        video_model=studio.veo,
    )
    takes = rendered_takes([studio.shot, second], tmp_path, length=2)
    playlist = Playlist.objects.create(project=studio.project, name="Hero 4", target_seconds=6)
    playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
    return make_link(playlist, studio.alice)


def test_a_guest_pins_a_comment_seeks_to_it_and_approves(page, live_server, shared_playlist):
    page.goto(f"{live_server.url}/s/{shared_playlist.token}/")
    page.get_by_label("Your name").fill("Clara")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Hero 4", exact=True)).to_be_visible()
    loaded(page)

    # The preview is ready (its script ran) once it names what is on screen.
    expect(page.locator("[data-now-playing]")).to_contain_text("Shot 1, take 1")
    page.get_by_label("Position in the playlist").fill("3")  # into shot 2
    expect(page.locator("[data-now-playing]")).to_contain_text("Shot 2, take 1")
    page.get_by_role("button", name="At preview time").click()
    expect(page.get_by_label("At (s in the preview, optional)")).not_to_have_value("")
    page.get_by_label("At (s in the preview, optional)").fill("3")
    page.get_by_label("Comment on the playlist").fill("The logo comes in late")
    page.get_by_role("button", name="Add comment").click()
    pin = page.get_by_role("button", name="Play the preview from 3.0 s, Shot 2, take 1")
    expect(pin).to_be_visible()

    page.get_by_label("Position in the playlist").fill("0.5")
    expect(page.locator("[data-now-playing]")).to_contain_text("Shot 1, take 1")
    pin.click()
    expect(page.locator("[data-now-playing]")).to_contain_text("Shot 2, take 1")

    page.get_by_role("button", name="Approve: the playlist").click()
    expect(page.locator("#playlist-review .review-state")).to_contain_text("Approved")
    expect(page.locator("#playlist-review .reviewer-decisions")).to_contain_text("Clara (guest)")
    assert Comment.objects.get().item_label == "Shot 2, take 1"
    assert Decision.objects.get().guest_name == "Clara"
    assert page.problems == []


def test_a_reviewer_pins_a_comment_to_a_take_and_it_seeks_there(
    page, live_server, studio, tmp_path
):
    (take,) = rendered_takes([studio.shot], tmp_path)
    log_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/storyboards/{studio.storyboard.uuid}/?view=list")
    card = page.locator(f"#take-{take.uuid}")
    # The review is drawn closed; opening it fetches it, and the keyboard stays where it was.
    fold = card.locator("details.review-fold > summary")
    expect(fold).to_contain_text("In review")
    fold.focus()
    page.keyboard.press("Enter")
    expect(card.locator(".review-state")).to_be_visible()
    expect(fold).to_be_focused()
    card.locator("details.comments summary").click()
    card.get_by_label("Comment on take 1").fill("Hold the lake a beat longer")
    card.get_by_label("At (s, optional)").fill("2.5")
    card.get_by_role("button", name="Add comment").click()
    pin = card.get_by_role("button", name="Play take 1 from 2.5 s")
    expect(pin).to_be_visible()
    expect(fold).to_contain_text("1 open comment")  # the closed review's state, out of band
    pin.click()
    video = card.locator("video")
    page.wait_for_function("v => Math.abs(v.currentTime - 2.5) < 0.1", arg=video.element_handle())
    card.get_by_role("button", name="Approve: take 1").click()
    expect(card.locator(".review-state")).to_contain_text("Approved")
    expect(fold).to_contain_text("Approved")
    assert page.problems == []


def test_a_card_in_use_takes_the_news_once_focus_leaves_it(page, live_server, studio, tmp_path):
    (take,) = rendered_takes([studio.shot], tmp_path)
    log_in(page, live_server.url, "rita")
    page.goto(f"{live_server.url}/storyboards/{studio.storyboard.uuid}/?view=list")
    fold = page.locator(f"#take-{take.uuid} details.review-fold > summary")
    expect(fold).to_contain_text("In review")
    fold.focus()
    token = page.locator("#live-status").get_attribute("data-token")
    review_decide(target=take, state="approved", user=studio.alice)  # someone else decides
    # The live answer carrying it came while the card was in use: it waits.
    page.wait_for_function(
        "t => document.getElementById('live-status').dataset.token !== t", arg=token
    )
    expect(fold).to_contain_text("In review")
    expect(fold).to_be_focused()
    page.get_by_role("heading", level=1).click()
    expect(fold).to_contain_text("Approved")
    assert page.problems == []
