"""The playlist's timeline as an editor uses it: items as wide as they play against the target,
trimmed from their edges by keyboard and by pointer, reordered by dragging, with the preview's
playhead moving along it; and Move up / Move down keeping the keyboard where it was."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from studio.playlists.services import playlist_item_finish
from tests.e2e.helpers import loaded, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def share_of_track(page: Page, locator) -> float:
    track = page.locator("[data-track]").bounding_box()
    return locator.bounding_box()["width"] / track["width"]


def open_ad(page: Page, live_server, ad) -> None:
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/playlists/{ad.uuid}/")
    loaded(page)


def test_trim_from_the_keyboard_and_by_dragging_an_edge(page, live_server, studio, ad):
    open_ad(page, live_server, ad)
    items = page.locator("#timeline [data-item]")
    expect(items).to_have_count(3)
    assert abs(share_of_track(page, items.nth(0)) - 1 / 3) < 0.02
    expect(page.locator("[data-target-mark]")).to_have_text("target 6 s")

    end = page.get_by_role("slider", name="End of item 1")
    end.focus()
    for _ in range(3):
        page.keyboard.press("ArrowLeft")  # a frame each
    page.keyboard.press("Shift+ArrowLeft")  # a second
    expect(end).to_have_attribute("aria-valuenow", "0.875")
    expect(end).to_have_attribute("aria-valuetext", "0.88 s")
    # Saved once the keys rest, through the trim endpoint: the number field shows it too.
    expect(page.locator("#playlist-list > li").first.get_by_label("Out (s)")).to_have_value("0.875")
    expect(page.locator("#summary")).to_contain_text("4.9 s of 6 s")
    expect(end).to_be_focused()  # still where the keys were pressed, after the lists came back
    assert abs(share_of_track(page, items.nth(0)) - 0.875 / 6) < 0.02

    start = page.get_by_role("slider", name="Start of item 2")
    box = start.bounding_box()
    per_second = page.locator("[data-track]").bounding_box()["width"] / 6
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + per_second / 2, box["y"] + 10, steps=8)
    page.mouse.up()
    trim_in = page.locator("#playlist-list > li").nth(1).get_by_label("In (s)")
    expect(trim_in).to_have_value(re.compile(r"^0\.[3-6]"))
    assert page.problems == [], page.problems


def test_a_refused_keyboard_trim_snaps_the_handle_back_to_the_saved_end(
    page, live_server, studio, ad
):
    """A 1.5 s crossfade out of item 1: trimmed to 1 s it would not fit, so the server refuses,
    and the handle goes back to the end that was saved; the next key nudges from there."""
    first = ad.items.first()
    playlist_item_finish(
        user=studio.bob,
        item=first,
        caption="",
        transition="crossfade",
        transition_seconds=Decimal("1.5"),
    )
    open_ad(page, live_server, ad)
    end = page.get_by_role("slider", name="End of item 1")
    end.focus()
    page.keyboard.press("Shift+ArrowLeft")
    expect(end).to_have_attribute("aria-valuenow", "1.000")
    expect(page.locator("#playlist-alert")).to_contain_text("shorten the crossfade first")
    expect(end).to_have_attribute("aria-valuenow", re.compile(r"^2\.0+$"))
    expect(end).to_have_attribute("aria-valuetext", "2.00 s")
    items = page.locator("#timeline [data-item]")
    assert abs(share_of_track(page, items.nth(0)) - 0.5 / 6) < 0.02  # 2 s less the 1.5 s fade

    end = page.get_by_role("slider", name="End of item 1")  # the timeline was drawn anew
    end.focus()
    page.keyboard.press("ArrowLeft")  # a frame from the saved end, not from the refused one
    out = page.locator("#playlist-list > li").first.get_by_label("Out (s)")
    expect(out).to_have_value("1.958")
    expect(page.locator("#playlist-alert")).to_be_empty()
    assert page.problems == [], page.problems


def test_drag_on_the_timeline_reorders_and_the_playhead_follows_the_preview(
    page, live_server, studio, ad
):
    open_ad(page, live_server, ad)
    expect(page.locator("#timeline [data-sortable=on]")).to_have_count(1)
    items = page.locator("#timeline [data-item]")
    first, third = items.nth(0).bounding_box(), items.nth(2).bounding_box()
    page.mouse.move(third["x"] + third["width"] / 2, third["y"] + third["height"] / 2)
    page.mouse.down()
    page.mouse.move(first["x"] + 4, first["y"] + first["height"] / 2, steps=20)
    page.mouse.move(first["x"] + 2, first["y"] + first["height"] / 2, steps=5)
    page.mouse.up()
    expect(page.locator("#playlist-list > li").first).to_have_attribute(
        "aria-label", "Item 1: shot 3, take 1"
    )
    expect(items.first).to_have_attribute("aria-label", re.compile("^1. Shot 3, take 1"))

    playhead, track = page.locator("[data-playhead]"), page.locator("[data-track]")
    assert playhead.bounding_box()["x"] - track.bounding_box()["x"] < 2
    page.locator("#preview video").evaluate("v => { v.muted = true; }")
    page.get_by_role("button", name="Play / pause").click()
    expect(page.locator("[data-now-playing]")).to_contain_text("(2 of 3)", timeout=15_000)
    # Past the first item's 2 s of the 6: a third of the way along, or more.
    along = playhead.bounding_box()["x"] - track.bounding_box()["x"]
    assert along >= track.bounding_box()["width"] / 3 * 0.95
    assert page.problems == [], page.problems


def test_move_up_and_down_keep_the_keyboard_on_the_moved_item(page, live_server, studio, ad):
    open_ad(page, live_server, ad)
    page.get_by_role("button", name="Move up, item 3").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#playlist-list > li").nth(1)).to_have_attribute(
        "aria-label", "Item 2: shot 3, take 1"
    )
    expect(page.get_by_role("button", name="Move up, item 2")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#playlist-list > li").first).to_have_attribute(
        "aria-label", "Item 1: shot 3, take 1"
    )
    # At the top Move up is disabled: the keyboard stays on the item, on Move down.
    expect(page.get_by_role("button", name="Move down, item 1")).to_be_focused()
    assert page.problems == [], page.problems
