"""Comparing two takes in Chromium: reached from the shot's takes, one Play drives both players
and the second keeps to the first; the wipe is a slider the keyboard moves."""

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import loaded, log_in
from tests.e2e.rendered import rendered_takes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_takes(studio, tmp_path):
    return rendered_takes([studio.shot, studio.shot], tmp_path)


def test_two_takes_play_in_sync_side_by_side_and_with_a_wipe(page, live_server, studio, two_takes):
    log_in(page, live_server.url, "vera")
    page.goto(f"{live_server.url}/storyboards/{studio.storyboard.uuid}/?view=list")
    page.get_by_role("link", name="Compare takes of shot 1").click()
    expect(page.get_by_role("heading", name="Compare takes of shot 1")).to_be_visible()
    loaded(page)
    first = page.get_by_label("First: Take 2 (4.0 s)")
    second = page.get_by_label("Second: Take 1 (4.0 s)")
    page.wait_for_function(
        "([a, b]) => a.readyState >= 1 && b.readyState >= 1",
        arg=[first.element_handle(), second.element_handle()],
    )
    drift = "([a, b]) => Math.abs(a.currentTime - b.currentTime)"
    handles = [first.element_handle(), second.element_handle()]

    page.get_by_label("Position in both takes").fill("2")
    page.wait_for_function(
        "([a, b]) => Math.abs(a.currentTime - 2) < 0.05 && Math.abs(b.currentTime - 2) < 0.05",
        arg=handles,
    )
    play = page.get_by_role("button", name="Play", exact=True)
    play.click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    page.wait_for_function("([a, b]) => !a.paused && !b.paused && a.currentTime > 2.5", arg=handles)
    page.get_by_role("button", name="Pause").click()
    page.wait_for_function("([a, b]) => a.paused && b.paused", arg=handles)
    page.wait_for_function(f"args => ({drift})(args) <= 1 / 30", arg=handles)

    # Side by side, then the wipe: the second over the first, cut where the slider says.
    side = page.get_by_role("button", name="Side by side")
    wipe = page.get_by_role("button", name="Wipe", exact=True)
    expect(side).to_have_attribute("aria-pressed", "true")
    assert first.bounding_box()["x"] < second.bounding_box()["x"]
    wipe.click()
    expect(wipe).to_have_attribute("aria-pressed", "true")
    expect(side).to_have_attribute("aria-pressed", "false")
    slider = page.get_by_label("Wipe (how much of the second shows)")
    expect(slider).to_be_visible()
    assert first.bounding_box() == second.bounding_box()
    expect(second).to_have_css("clip-path", "inset(0px 0px 0px 50%)")
    slider.focus()
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
    expect(slider).to_have_value("40")
    expect(second).to_have_css("clip-path", "inset(0px 0px 0px 60%)")
    side.click()
    expect(second).to_have_css("clip-path", "none")

    # On a phone the two stack, and nothing scrolls sideways.
    page.set_viewport_size({"width": 390, "height": 800})
    assert first.bounding_box()["y"] < second.bounding_box()["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.problems == []
