"""The board in a browser: frames opened into the drawer by mouse and keyboard and closed back to
their frame, clamped prompts, the take menu, live updates to the frames, and the New shot form
after the shots on a narrow screen."""

import re

import pytest
from playwright.sync_api import expect

from studio.generation.models import TakeStatus
from studio.projects.models import PROMPT_MAX_LENGTH, Shot
from tests.e2e.helpers import loaded, log_in
from tests.factories import make_shot, make_take

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LONG = " ".join(["A slow push-in over a lemonade stand at golden hour, condensation running."] * 8)


def test_frames_open_in_the_drawer_and_close_back_to_their_frame(page, live_server, studio):
    second = make_shot(studio.storyboard, 2, video_model=studio.veo, title="Pour", prompt=LONG)
    make_take(second, status=TakeStatus.FAILED, error_message="The pour was blocked.")
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/storyboards/{studio.storyboard.uuid}/?view=board")
    loaded(page)
    board = page.get_by_role("list", name="Shots")
    expect(board.get_by_role("link", name="Shot 1")).to_be_visible()
    frame = board.get_by_role("link", name="Shot 2 Pour")
    expect(page.locator(f"#frame-{second.uuid}")).to_contain_text("No take ready")

    frame.focus()
    page.keyboard.press("Enter")
    drawer = page.locator("#shot-drawer")
    expect(drawer).to_be_visible()
    expect(page.locator("#drawer-panel")).to_be_focused()
    expect(drawer.get_by_role("heading", name="Shot 2 Pour")).to_be_visible()
    expect(frame).to_have_attribute("aria-current", "true")  # the board shows which is open
    # The long prompt is clamped with a "more" toggle that opens and closes it.
    expect(drawer.get_by_role("button", name="more of the prompt of shot 2")).to_be_visible()
    more = drawer.locator(f'[aria-controls="shot-{second.uuid}-prompt"]')
    expect(more).to_have_attribute("aria-expanded", "false")
    more.click()
    expect(more).to_have_attribute("aria-expanded", "true")
    expect(more).to_have_accessible_name("less of the prompt of shot 2")
    # The failed take's actions are in its menu.
    take = drawer.get_by_role("listitem", name="Take 1: Failed")
    expect(take.get_by_role("button", name="Retry")).to_be_hidden()
    take.get_by_text("Actions").click()
    expect(take.get_by_role("button", name="Retry")).to_be_visible()
    page.keyboard.press("Escape")  # the menu first
    expect(take.get_by_role("button", name="Retry")).to_be_hidden()
    expect(drawer).to_be_visible()
    page.keyboard.press("Escape")  # then the drawer, back to its frame
    expect(drawer).to_be_hidden()
    expect(frame).to_be_focused()
    expect(frame).not_to_have_attribute("aria-current", "true")

    board.get_by_role("link", name="Shot 1").click()
    expect(drawer).to_contain_text("A drone shot of a mountain lake")
    drawer.get_by_role("link", name="Close shot 1").click()
    expect(drawer).to_be_hidden()
    expect(board.get_by_role("link", name="Shot 1")).to_be_focused()
    board.get_by_role("link", name="Shot 1").click()

    # Duplicate in the drawer: the copy joins the board as a frame, the drawer keeps its shot.
    drawer.get_by_role("button", name="Duplicate shot 1").click()
    expect(board.get_by_role("link", name="Shot 2", exact=True)).to_be_visible()
    expect(drawer.locator("li.shot")).to_have_count(1)
    assert Shot.objects.count() == 3
    drawer.get_by_role("link", name="Close shot 1").click()

    # Live: a take started elsewhere shows on its frame; the board is still the choice on reload.
    make_take(studio.shot, status=TakeStatus.RUNNING)
    expect(page.locator(f"#frame-{studio.shot.uuid}")).to_contain_text("Generating")
    page.reload()
    expect(page.get_by_role("link", name="Board", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    assert page.problems == [], page.problems


def test_on_a_narrow_screen_the_new_shot_form_follows_the_shots(page, live_server, studio):
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/storyboards/{studio.storyboard.uuid}/")
    loaded(page)
    shots = page.locator("#shots").bounding_box()
    form = page.locator("#add-shot").bounding_box()
    assert form["y"] > shots["y"] + shots["height"] - 1
    # A keyboard user reaches the form by the skip link.
    skip = page.get_by_role("link", name="Skip to New shot")
    skip.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#add-shot")).to_be_focused()
    assert page.problems == [], page.problems


def test_the_prompt_counts_as_it_is_typed_and_says_when_it_is_over(page, live_server, studio):
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/storyboards/{studio.storyboard.uuid}/?view=list")
    loaded(page)
    prompt = page.get_by_label("Prompt")
    counter = page.locator("#id_prompt-count")
    prompt.fill("A lemon")
    expect(counter).to_contain_text(f"7 / {PROMPT_MAX_LENGTH}")
    expect(prompt).to_have_accessible_description(re.compile(f"^7 / {PROMPT_MAX_LENGTH}"))
    prompt.fill("x" * (PROMPT_MAX_LENGTH + 12))  # pasted: nothing is cut
    expect(prompt).to_have_value("x" * (PROMPT_MAX_LENGTH + 12))
    expect(counter).to_contain_text("12 over the limit: shorten the prompt before saving.")
    expect(counter.locator("[aria-live=polite]")).to_have_text(
        "12 over the limit: shorten the prompt before saving."
    )
    prompt.fill("x" * (PROMPT_MAX_LENGTH - 10))
    expect(counter.locator("[aria-live=polite]")).to_have_text("10 characters left.")
    expect(counter).not_to_contain_text("over the limit")
    assert page.problems == [], page.problems
