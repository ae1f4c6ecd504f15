"""axe-core on the studio's pages, for an owner, a viewer and a guest with a share link: no
violation of impact serious or critical (tests/e2e/helpers.py, assert_accessible)."""

import pytest
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.urls import reverse
from playwright.sync_api import Page, expect

from studio.playlists.models import PlaylistItem
from studio.projects.services import presence_touch
from studio.review import services as review
from studio.teams.models import Role
from tests.e2e.helpers import assert_accessible, loaded, log_in
from tests.factories import make_playlist, make_take, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def board(studio):
    """A take on the storyboard, in a playlist, shared as a playlist and as a storyboard."""
    take = make_take(studio.shot)
    take.poster.save("poster.jpg", ContentFile(b"\xff\xd8poster"))
    playlist = make_playlist(studio.project)
    PlaylistItem.objects.create(playlist=playlist, take=take, position=1)
    review.comment_add(target=take, body="Warmer light", user=studio.alice)
    links = [
        review.share_link_create(user=studio.alice, target=target, days=7)
        for target in (playlist, studio.storyboard)
    ]
    return playlist, links


def team_pages(studio, playlist) -> list[str]:
    return [
        reverse("dashboard"),
        reverse("project_detail", args=[studio.project.uuid]),
        reverse("storyboard_detail", args=[studio.storyboard.uuid]),
        reverse("playlist_detail", args=[playlist.uuid]),
        reverse("team_detail", args=[studio.team.uuid]),
        reverse("project_activity", args=[studio.project.uuid]),
        "/no-such-page/",
    ]


def check(page: Page, base: str, paths: list[str]) -> None:
    for path in paths:
        page.goto(base + path)
        loaded(page)
        assert_accessible(page)


def test_an_owners_pages(page, live_server, studio, board):
    playlist, _ = board
    log_in(page, live_server.url, "alice")
    share = reverse("playlist_share", args=[playlist.uuid])
    check(page, live_server.url, [*team_pages(studio, playlist), share])
    # The 500 page, as Django renders it (no request), shown at the site for its stylesheet.
    page.set_content(render_to_string("500.html"))
    expect(page.locator("body")).to_have_css("background-color", "rgb(15, 17, 21)")  # styled
    assert_accessible(page)


def test_a_viewers_pages(page, live_server, studio, board):
    playlist, _ = board
    log_in(page, live_server.url, "vera")
    refused = reverse("storyboard_create", args=[studio.project.uuid])  # the 403 page
    check(page, live_server.url, [*team_pages(studio, playlist), refused])


def test_a_guests_pages(page, live_server, studio, board):
    _, links = board
    for link in links:
        page.goto(live_server.url + reverse("share_open", args=[link.token]))
        loaded(page)
        assert_accessible(page)  # the name form
        page.get_by_label("Your name").fill("Clara")
        page.get_by_role("button", name="Continue").click()
        loaded(page)
        assert_accessible(page)  # the shared playlist or storyboard
    check(page, live_server.url, ["/no-such-page/"])


def test_the_check_fails_on_a_serious_violation_and_names_it(page):
    page.set_content('<html lang="en"><title>t</title><main><img src="a.png"></main></html>')
    with pytest.raises(AssertionError, match="critical image-alt"):
        assert_accessible(page)


def test_a_storyboard_with_a_crowd_on_it(page, live_server, studio):
    for number in range(12):
        member = make_user(f"member{number:02}", studio.team, Role.VIEWER)
        presence_touch(storyboard=studio.storyboard, user=member)
    log_in(page, live_server.url, "alice")
    check(page, live_server.url, [reverse("storyboard_detail", args=[studio.storyboard.uuid])])
    expect(page.locator("#live-status")).to_contain_text("alice, member00, member01 and 10 others")
