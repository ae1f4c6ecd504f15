"""An ad made into deliverables as a producer does it: placements picked on the ad's page, every
deliverable exported with Export all, followed on one progress page, and the zip with its
delivery sheet downloaded."""

import csv
import io
import os
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from studio.playlists.models import Playlist
from tests.e2e.helpers import loaded, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Set to a folder to keep a picture of each page on the way (a person looking at them).
SCREENSHOTS = os.environ.get("STUDIO_E2E_SCREENSHOTS")


def picture(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_make_deliverables_export_all_and_download_the_package(
    page, live_server, studio_services, studio, ad, tmp_path
):
    log_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/playlists/{ad.uuid}/")
    loaded(page)
    panel = page.locator("#deliverables")
    panel.get_by_label("Feed 1:1").check()
    panel.get_by_label("Reels 9:16").check()
    panel.get_by_label("Full cut").check()
    panel.get_by_role("button", name="Make deliverables").click()
    expect(panel.get_by_role("status")).to_contain_text("Made 2 deliverables")
    expect(panel.locator("tbody tr")).to_have_count(2)
    picture(page, "1-ad-with-deliverables")

    # Each deliverable is a playlist of its own, with framing for the 16:9 takes.
    square = Playlist.objects.get(source=ad, platform="feed-square")
    page.goto(f"{live_server.url}/playlists/{square.uuid}/")
    loaded(page)
    expect(page.get_by_text("A deliverable made from")).to_be_visible()
    expect(page.get_by_label("Crop centre, across").first).to_have_value("0.500")
    # The preview is square, and the 16:9 take fills it as the export's crop does.
    video = page.locator("#preview video")
    expect(video).to_have_css("object-fit", "cover")
    box = video.bounding_box()
    assert box is not None and abs(box["width"] - box["height"]) <= 1
    # A centre to the thousandth (as a click on the frame sets it) is saved.
    page.locator(".framing-details summary").first.click()
    page.get_by_label("Crop centre, across").first.fill("0.125")
    page.get_by_role("button", name="Save framing of item 1").click()
    expect(page.locator("#playlist-items")).to_contain_text("0.125 across")
    picture(page, "2-deliverable")

    page.goto(f"{live_server.url}/playlists/{ad.uuid}/")
    loaded(page)
    page.get_by_role("button", name="Export all").click()
    loaded(page)
    expect(page.get_by_role("heading", name="Delivery", exact=False).first).to_be_visible()
    picture(page, "3-delivery-running")
    download_link = page.get_by_role("link", name="Download the zip")
    expect(download_link).to_be_visible(timeout=240_000)
    picture(page, "4-delivery-ready")
    with page.expect_download() as download_info:
        download_link.click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)

    with zipfile.ZipFile(saved) as package:
        names = sorted(package.namelist())
        sheet = list(csv.DictReader(io.StringIO(package.read("delivery-sheet.csv").decode())))
    assert names == [
        "delivery-sheet.csv",
        "delivery-sheet.html",
        "summer-launch_hero_feed-1x1_6s_v1.mp4",
        "summer-launch_hero_vertical-9x16_6s_v1.mp4",
    ]
    assert sorted(row["Resolution"] for row in sheet) == ["1080x1080", "1080x1920"]

    page.get_by_role("link", name="Delivery sheet").click()
    expect(page.get_by_role("table")).to_contain_text("1080x1920")
    picture(page, "5-sheet")
    assert page.problems == [], page.problems
