"""Assembling an ad as a person does: a playlist from a storyboard's takes, reordered by
dragging, previewed across an item boundary, exported and downloaded."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from studio.gateway import probe_video
from tests.e2e.helpers import drag, loaded
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def expect_items(page: Page, labels: list[str]) -> None:
    """The list as the server numbered it. Right after a drag, SortableJS has moved the items
    but they keep their old numbers; clicking on then would race the server's answer."""
    items = page.locator("#playlist-list > li")
    expect(items).to_have_count(len(labels))
    for number, label in enumerate(labels, start=1):
        expect(items.nth(number - 1)).to_have_attribute("aria-label", f"Item {number}: {label}")


def test_build_reorder_preview_and_export_a_playlist(
    page, live_server, studio_services, studio, finished_takes, tmp_path
):
    page.set_viewport_size({"width": 1400, "height": 2400})  # the whole list in view to drag
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Summer launch").click()
    page.get_by_role("link", name="New playlist").click()
    page.get_by_label("Name").fill("Hero 6")
    page.get_by_label("Placement").select_option(label="YouTube (16:9)")
    page.get_by_label("Target length").select_option(label="6 s")
    page.get_by_role("button", name="Create playlist").click()
    expect(page.get_by_role("heading", name="Hero 6", exact=True)).to_be_visible()
    loaded(page)

    page.get_by_role("button", name="Add all approved takes").click()
    expect(page.locator("#playlist-list > li")).to_have_count(3)
    expect(page.locator("#summary")).to_contain_text("6.0 s of 6 s")

    first, third = (
        page.locator("#playlist-list > li").nth(0),
        page.locator("#playlist-list > li").nth(2),
    )
    drag(page, third.locator(".drag-handle"), first)
    expect_items(page, ["shot 3, take 1", "shot 1, take 1", "shot 2, take 1"])
    page.get_by_role("button", name="Move down, item 1").click()
    expect_items(page, ["shot 1, take 1", "shot 3, take 1", "shot 2, take 1"])

    expect(page.locator("[data-now-playing]")).to_contain_text("1 of 3")
    page.locator("#preview video").evaluate("v => { v.muted = true; }")
    page.get_by_role("button", name="Play / pause").click()
    expect(page.locator("[data-now-playing]")).to_contain_text("(2 of 3)", timeout=15_000)
    page.get_by_label("Position in the playlist").fill("5")
    expect(page.locator("[data-now-playing]")).to_contain_text("(3 of 3)")

    page.get_by_role("button", name="Export").click()
    expect(page.locator("#exports .badge")).to_have_text("Ready", timeout=60_000)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download").click()
    download = download_info.value
    assert download.suggested_filename == "summer-launch_hero-6_youtube-16x9_6s_v1.mp4"
    saved = Path(tmp_path / download.suggested_filename)
    download.save_as(saved)
    info = probe_video(saved)
    assert abs(float(info.duration) - 6) < 0.1
    assert page.problems == []
