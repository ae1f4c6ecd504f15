"""Every page on a 390 px phone: nothing scrolls sideways and nothing sticks out past the right
edge, for an owner, a viewer and a guest with a share link, nor the studio's dialog."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from playwright.sync_api import Page, expect

from studio.generation.models import Take, TakeStatus
from studio.playlists.models import Export, ExportStatus, Playlist
from studio.review import services as review
from tests.e2e.helpers import loaded, log_in
from tests.factories import make_shot, make_take
from tests.urls_table import TINY_PNG

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 390
MISSING = "/no-such-page/"

# A title and a prompt as long as people write them, and a word longer than a phone is wide
# (a pasted address): what wraps badly shows with them.
LONG = " ".join(["A slow push-in over a lemonade stand at golden hour, condensation running."] * 8)
ADDRESS = "https://example.com/lemonade/summer-launch/references/golden-hour-condensation.jpg"

# Each element the page shows whose right edge, as far as the boxes that clip it let it show, is
# past the viewport's; only the outermost of each run (its children stick out because it does).
OFFENDERS = """(limit) => {
    const shown = (el) => {
        const style = getComputedStyle(el);
        const box = el.getBoundingClientRect();
        return style.visibility !== "hidden" && box.width > 0 && box.height > 0;
    };
    const right = (el) => {
        let edge = el.getBoundingClientRect().right;
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            if (getComputedStyle(up).overflowX !== "visible") {
                edge = Math.min(edge, up.getBoundingClientRect().right);
            }
        }
        return edge;
    };
    const all = [...document.body.querySelectorAll("*")];
    const out = new Set(all.filter((el) => shown(el) && right(el) > limit + 0.5));
    return [...out]
        .filter((el) => !out.has(el.parentElement))
        .map((el) => {
            const box = el.getBoundingClientRect();
            const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
                + [...el.classList].map((c) => "." + c).join("");
            return `${name} (${Math.round(box.width)} px wide, right edge at `
                + `${Math.round(right(el))} px)`;
        });
}"""


def overflows(page: Page) -> list[str]:
    """What sticks out on the page as it is now, one line each, after the page's scroll width."""
    found = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        found.append(f"the page is {width} px wide")
    found += page.evaluate(OFFENDERS, WIDTH)
    return [f"{page.url}: {line}" for line in found]


def opened(page: Page) -> list[str]:
    """What sticks out on the page as it loads, and again with every disclosure on it open (a
    take's menu, an item's caption form): what a person opens must fit too."""
    found = overflows(page)
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    return found + [f"{line} (details open)" for line in overflows(page) if line not in found]


def check(page: Page, base: str, paths: list[str], refused: list[str]) -> None:
    """Open each page at the phone's width (each answering 200, or 403 for those `refused`, or
    404 for the missing one) and fail naming every page's offenders at once."""
    page.set_viewport_size({"width": WIDTH, "height": 844})
    found = []
    for path in paths + refused:
        status = page.goto(base + path).status
        loaded(page)
        expected = 404 if path == MISSING else 403 if path in refused else 200
        assert status == expected, f"{path} answered {status}"
        found += opened(page)
    assert not found, "wider than the phone:\n" + "\n".join(found)


@pytest.fixture
def phone_world(world, studio) -> dict:
    """The walk's world (one of every object), with what makes a page wide: real posters, a long
    shot, a second finished export for comparing, and a guest's name on each share link."""
    for take in Take.objects.all():
        take.poster.save("poster.jpg", ContentFile(TINY_PNG))
    long = make_shot(studio.storyboard, 4, video_model=studio.veo, title=LONG[:120], prompt=LONG)
    make_take(long, status=TakeStatus.FAILED, error_message=f"The gateway could not read {ADDRESS}")
    take = make_take(long)
    take.poster.save("poster.jpg", ContentFile(TINY_PNG))
    review.comment_add(target=take, body=f"See {ADDRESS} for the light", user=studio.alice)
    playlist = Playlist.objects.get(uuid=world["playlist"])
    Export.objects.filter(uuid=world["export"]).update(status=ExportStatus.DONE)
    second = Export.objects.create(
        playlist=playlist, version=2, file_name="cut_v2.mp4", status=ExportStatus.DONE
    )
    second.video.save("cut_v2.mp4", ContentFile(b"\x00" * 64))
    deliverable = Playlist.objects.get(source=playlist)
    storyboard_link = review.share_link_create(user=studio.alice, target=studio.storyboard, days=7)
    return world | {
        "long": long.uuid,
        "deliverable": deliverable.uuid,
        "links": [playlist.share_links.get().token, storyboard_link.token],
    }


def studio_pages(studio, world) -> list[str]:
    storyboard = reverse("storyboard_detail", args=[world["storyboard"]])
    return [
        reverse("dashboard"),
        reverse("project_detail", args=[world["project"]]),
        f"{storyboard}?view=board",
        f"{storyboard}?view=list",
        f"{storyboard}?view=board&shot={world['long']}",
        f"{storyboard}?view=list&shot={world['shot']}",
        reverse("storyboard_review_report", args=[world["storyboard"]]),
        reverse("playlist_detail", args=[world["playlist"]]),
        reverse("playlist_detail", args=[world["deliverable"]]),
        reverse("playlist_review_report", args=[world["playlist"]]),
        reverse("delivery_detail", args=[world["delivery"]]),
        reverse("delivery_sheet", args=[world["delivery"]]),
        reverse("delivery_detail", args=[world["failed_delivery"]]),
        reverse("shot_compare", args=[world["shot"]]),
        reverse("playlist_compare", args=[world["playlist"]]),
        reverse("brand_kit_list", args=[world["team"]]),
        reverse("project_activity", args=[world["project"]]),
        reverse("project_create"),  # to a viewer, the form says whom to ask
        reverse("password_change"),
        MISSING,
    ]


def editing_pages(studio, world) -> list[str]:
    """The forms only an editor or an owner opens."""
    return [
        reverse("storyboard_create", args=[world["project"]]),
        reverse("storyboard_import", args=[world["storyboard"]]),
        reverse("shot_edit", args=[world["spare"]]),
        reverse("playlist_create", args=[world["project"]]),
        reverse("playlist_settings", args=[world["playlist"]]),
        reverse("brand_kit_create", args=[world["team"]]),
        reverse("brand_kit_edit", args=[world["brand_kit"]]),
        reverse("element_edit", args=[world["element"]]),
        reverse("project_brand_kit", args=[world["project"]]),
    ]


def team_pages(studio, world) -> list[str]:
    return [
        reverse("team_list"),
        reverse("team_detail", args=[world["team"]]),
    ]


def share_pages(studio, world) -> list[str]:
    return [
        reverse("playlist_share", args=[world["playlist"]]),
        reverse("storyboard_share", args=[world["storyboard"]]),
    ]


# By who opens them and which pages (and which of them the user is refused, the 403 page): one
# case each, so that a page of one group that sticks out names its group in the failing test's
# name and leaves the others' results standing.
CASES = {
    "owner-studio": ("alice", [studio_pages, editing_pages], []),
    "owner-team": ("alice", [team_pages], []),
    "owner-sharing": ("alice", [share_pages], []),
    "viewer-studio": ("vera", [studio_pages], [editing_pages]),
    "viewer-team": ("vera", [team_pages], []),
}


@pytest.mark.parametrize("case", CASES)
def test_pages_fit_a_phone(page, live_server, studio, phone_world, case):
    username, groups, refusing = CASES[case]
    log_in(page, live_server.url, username)
    paths = [path for group in groups for path in group(studio, phone_world)]
    refused = [path for group in refusing for path in group(studio, phone_world)]
    check(page, live_server.url, paths, refused)


def test_a_guests_pages_fit_a_phone(page, live_server, phone_world):
    page.set_viewport_size({"width": WIDTH, "height": 844})
    found = []
    for token in phone_world["links"]:
        page.goto(live_server.url + reverse("share_open", args=[token]))
        loaded(page)
        found += opened(page)  # the name form
        page.get_by_label("Your name").fill("Clara")
        page.get_by_role("button", name="Continue").click()
        loaded(page)
        found += opened(page)  # the shared playlist or storyboard
    for path in (MISSING, reverse("login"), reverse("password_reset")):
        page.goto(live_server.url + path)
        found += opened(page)
    assert not found, "wider than the phone:\n" + "\n".join(found)


def test_the_check_names_what_sticks_out(page):
    page.set_viewport_size({"width": WIDTH, "height": 844})
    page.set_content(
        '<html lang="en"><title>t</title><body style="margin:0"><main>'
        '<div id="ok"><p class="wide" style="width:500px">Too wide</p></div>'
        '<div style="overflow-x:auto"><table style="width:900px"><tr><td>Scrolls in its box'
        "</table></div></main></body></html>"
    )
    assert overflows(page) == [
        "about:blank: the page is 500 px wide",
        "about:blank: p.wide (500 px wide, right edge at 500 px)",
    ]


def test_the_studios_dialog_fits_a_phone(page, live_server, studio):
    long = make_shot(studio.storyboard, 2, video_model=studio.veo, title=LONG[:120], prompt=LONG)
    log_in(page, live_server.url, "alice")
    page.set_viewport_size({"width": WIDTH, "height": 844})
    url = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    page.goto(f"{live_server.url}{url}?view=list")
    loaded(page)
    page.locator(f"#shot-{long.uuid}").get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_role("dialog", name="Are you sure?")).to_be_visible()
    assert overflows(page) == []
