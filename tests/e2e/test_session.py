"""A storyboarding session: two people on the same storyboard in two browsers. One's edits and
generated takes appear for the other without a reload, and each sees who else is there. Then a
client with no account reviews the take through a share link, and the team sees it live."""

import re

import pytest
from playwright.sync_api import expect

from studio.projects.models import Shot
from tests.e2e.helpers import confirm, drag, loaded, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def new_page(browser):
    """Another person's browser: a context of its own, so its own cookies and session."""
    contexts = []

    def open_page():
        contexts.append(browser.new_context(viewport={"width": 1400, "height": 1000}))
        page = contexts[-1].new_page()
        page.set_default_timeout(20_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_two_people_see_each_others_changes_live(
    page, new_page, live_server, studio_services, studio
):
    alice, bob = page, new_page()
    storyboard_url = f"{live_server.url}/storyboards/{studio.storyboard.uuid}/?view=list"
    for browser_page, name in ((alice, "alice"), (bob, "bob")):
        log_in(browser_page, live_server.url, name)
        browser_page.goto(storyboard_url)
    expect(alice.locator("#live-status")).to_contain_text("alice, bob here")
    expect(bob.locator("#live-status")).to_contain_text("alice, bob here")

    # Bob edits the shot in place; Alice's page shows the new prompt without a reload.
    shot = bob.locator(f"#shot-{studio.shot.uuid}")
    shot.get_by_role("link", name="Edit shot 1").click()
    shot.get_by_label("Prompt").fill("A drone shot of a glacier lake at dawn")
    shot.get_by_label("Title").fill("Opener")
    shot.get_by_role("button", name="Save").click()
    expect(shot.get_by_role("heading", name="Shot 1 Opener")).to_be_visible()
    alice_shot = alice.locator(f"#shot-{studio.shot.uuid}")
    expect(alice_shot).to_contain_text("A drone shot of a glacier lake at dawn", timeout=8_000)

    # Alice adds a shot; it appears on Bob's page.
    alice.get_by_label("Prompt").fill("Close-up of a can opening")
    alice.get_by_label("Duration (seconds)").fill("4")
    alice.get_by_role("button", name="Add shot").click()
    expect(bob.get_by_role("heading", name="Shot 2", exact=True)).to_be_visible(timeout=8_000)

    # Bob generates a take; Alice sees it appear and finish.
    shot.get_by_role("button", name="Generate").click()
    assert confirm(bob, "Generate") == "Generate a 4 s take of shot 1 for $1.60?"
    take = alice_shot.get_by_role("listitem", name=re.compile("^Take 1"))
    expect(take).to_be_visible(timeout=8_000)
    expect(take.locator(".take-status")).to_have_text("Completed", timeout=40_000)
    expect(take.locator("video")).to_have_attribute("poster", re.compile(r"/poster\.jpg$"))

    # Alice reorders with the keyboard; Bob's page follows.
    alice.get_by_role("button", name="Move shot 2 up").focus()
    alice.keyboard.press("Enter")
    expect(bob.locator("#shot-list > li.shot").first).to_contain_text("Close-up of a can")
    expect(alice.get_by_role("button", name="Move shot 1 up")).to_be_focused()

    # Alice shares the storyboard; Clara, the client, approves and comments with no account.
    alice.get_by_role("link", name="Share").click()
    create = alice.get_by_role("button", name="Create link")
    expect(create).to_be_visible()
    loaded(alice)
    create.click()
    share_url = alice.locator("input.share-url")
    expect(share_url).to_have_value(re.compile("/s/"))
    link = share_url.input_value()
    clara = new_page()
    clara.goto(link)
    clara.get_by_label("Your name").fill("Clara")
    clara.get_by_role("button", name="Continue").click()
    review = clara.locator(f"#take-{take_uuid(studio)}-review")
    expect(review).to_be_visible()
    loaded(clara)
    clara.locator("details.comments summary").first.click()
    clara.get_by_label("Comment on take 1").fill("Love the light")
    clara.get_by_role("button", name="Add comment").click()
    # As a person would, approve once the comment shows: each answer redraws the whole review
    # block, and the comment's, if it came last, would put back the state from before.
    expect(review).to_contain_text("Love the light")
    clara.get_by_role("button", name="Approve: take 1").click()
    expect(review.locator(".review-state")).to_contain_text("Approved")
    # Bob, still on the storyboard, sees the decision arrive without a reload, on the take's
    # closed review; opened, it shows who decided and what they wrote.
    bob_fold = bob.locator(f"#take-{take_uuid(studio)}-fold > summary")
    expect(bob_fold).to_contain_text("Approved", timeout=8_000)
    expect(bob_fold).to_contain_text("1 open comment")
    bob_fold.click()
    bob_review = bob.locator(f"#take-{take_uuid(studio)}-review")
    expect(bob_review.locator(".reviewer-decisions")).to_contain_text("Clara")
    expect(bob_review).to_contain_text("Love the light")


def take_uuid(studio) -> str:
    return str(studio.shot.takes.get().uuid)


def test_dragging_a_shot_reorders_the_storyboard(page, live_server, studio):
    for position in (2, 3):
        Shot.objects.create(
            storyboard=studio.storyboard,
            position=position,
            prompt=f"Scene {position}",
            duration=4,
            aspect_ratio="16:9",
            video_model=studio.veo,
        )
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/storyboards/{studio.storyboard.uuid}/?view=list")
    shots = page.locator("#shot-list > li.shot")
    drag(page, shots.nth(2).locator(".drag-handle"), shots.nth(0))
    # The numbers follow from the server: the dragged shot is now shot 1, for everyone.
    expect(shots.nth(0).get_by_role("heading", name="Shot 1", exact=True)).to_be_visible()
    expect(shots.nth(0)).to_contain_text("Scene 3")
    order = list(studio.storyboard.shots.order_by("position").values_list("prompt", flat=True))
    assert order == ["Scene 3", studio.shot.prompt, "Scene 2"]
    assert page.problems == []
