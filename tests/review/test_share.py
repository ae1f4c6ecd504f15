"""Share links, from outside the team: no account, a name, one object, nothing more."""

from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from studio.activity.models import Activity
from studio.playlists.models import Export, ExportStatus
from studio.projects.models import Shot, Storyboard
from studio.review import services
from studio.review.models import SHARE_SALT, Comment, Decision
from tests.factories import make_link, make_take

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def open_as(client, link, name="Clara"):
    client.post(reverse("share_name", args=[link.token]), {"name": name})
    return reverse("share_open", args=[link.token])


def test_first_visit_asks_for_a_name_and_keeps_it_per_link(client, studio, playlist, items):
    link = make_link(playlist, studio.alice)
    url = reverse("share_open", args=[link.token])
    page = client.get(url)
    assert page.status_code == 200 and "Your name" in page.text
    response = client.post(reverse("share_name", args=[link.token]), {"name": "   "})
    assert "Give your name" in response.text
    response = client.post(reverse("share_name", args=[link.token]), {"name": "Clara  Diaz"})
    assert response.url == url
    page = client.get(url).text
    assert "you are Clara Diaz" in page and "Hero 15" in page
    other = make_link(studio.storyboard, studio.alice)
    assert "Your name" in client.get(reverse("share_open", args=[other.token])).text


def test_guest_playlist_page_previews_through_the_link(
    client, studio, playlist, items, django_assert_num_queries
):
    link = make_link(playlist, studio.alice)
    url = open_as(client, link)
    # link (+playlist, project, team), items (+takes, shots), latest export,
    # decisions, comments, the pause banner (base.html asks before checking the user)
    with django_assert_num_queries(6):
        page = client.get(url)
    preview = page.context["preview"]
    assert f"/s/{link.token}/takes/{items[0].take.uuid}/video.mp4" in preview
    assert "Approve: the playlist" in page.text and "Resolve" not in page.text
    assert "Regenerate" not in page.text and "Move up" not in page.text


def test_guest_storyboard_page_is_constant_in_queries(
    client, studio, takes, django_assert_num_queries
):
    link = make_link(studio.storyboard, studio.alice)
    url = open_as(client, link)
    for position in range(4, 14):
        shot = Shot.objects.create(
            storyboard=studio.storyboard,
            position=position,
            prompt="p",
            duration=4,
            aspect_ratio="16:9",
            video_model=studio.veo,
        )
        services.comment_add(target=make_take(shot), body="Nice", user=studio.rita)
    # link (+storyboard, project, team), shots, takes, decisions, comments (+authors),
    # the pause banner
    with django_assert_num_queries(6):
        page = client.get(url).text
    assert page.count('class="review"') == 13
    assert f"/s/{link.token}/takes/{takes[0].uuid}/video.mp4" in page


def test_guests_comment_and_decide_on_a_playlist(client, studio, playlist, items):
    link = make_link(playlist, studio.alice)
    open_as(client, link)
    comment_url = reverse("share_comment", args=[link.token])
    response = client.post(comment_url, {"body": "Logo sooner", "at_seconds": "9"}, **HTMX)
    assert "Clara (guest)" in response.text and "9.0 s · Shot 3, take 1" in response.text
    response = client.post(
        reverse("share_decide", args=[link.token]), {"state": "approved"}, **HTMX
    )
    assert ">Approved</span>" in response.text
    decision = Decision.objects.get()
    assert (decision.playlist, decision.guest_name, decision.share_link) == (
        playlist,
        "Clara",
        link,
    )
    assert decision.decided_by is None
    assert Activity.objects.filter(actor_name="Clara (guest)").count() == 2


def test_guests_comment_and_decide_on_takes_of_a_shared_storyboard(client, studio, takes):
    link = make_link(studio.storyboard, studio.alice)
    open_as(client, link)
    response = client.post(
        reverse("share_decide", args=[link.token]),
        {"state": "changes_requested", "take": takes[1].uuid},
        **HTMX,
    )
    assert f'id="take-{takes[1].uuid}-review"' in response.text
    assert "Regenerate" not in response.text
    assert services.review_of(takes[1]).state == "changes_requested"
    response = client.post(
        reverse("share_comment", args=[link.token]), {"take": takes[1].uuid, "body": "  "}, **HTMX
    )
    assert response["HX-Retarget"] == f"#take-{takes[1].uuid}-review-alert"
    assert not Comment.objects.exists()


def test_takes_of_a_deleted_shot_are_gone_from_a_storyboard_link(client, studio, takes):
    link = make_link(studio.storyboard, studio.alice)
    open_as(client, link)
    take = takes[0]
    take.video.save("take.mp4", ContentFile(b"0123456789"))
    video = reverse("share_take_video", args=[link.token, take.uuid])
    assert client.get(video).status_code == 200
    Shot.objects.filter(pk=take.shot_id).update(deleted_at=timezone.now())
    assert client.get(video).status_code == 404
    assert client.get(reverse("share_take_poster", args=[link.token, take.uuid])).status_code == 404
    assert str(take.uuid) not in client.get(reverse("share_open", args=[link.token])).text
    comment = {"take": take.uuid, "body": "Still here?"}
    assert client.post(reverse("share_comment", args=[link.token]), comment).status_code == 404
    decision = {"take": take.uuid, "state": "approved"}
    assert client.post(reverse("share_decide", args=[link.token]), decision).status_code == 404
    assert not Comment.objects.exists() and not Decision.objects.exists()


def test_a_guest_without_a_name_can_do_nothing(client, studio, playlist, items):
    link = make_link(playlist, studio.alice)
    response = client.post(reverse("share_decide", args=[link.token]), {"state": "approved"})
    assert response.status_code == 403 and not Decision.objects.exists()


def test_a_guest_cannot_resolve_or_use_team_urls(client, studio, playlist, items):
    comment = services.comment_add(target=playlist, body="x", user=studio.rita)
    link = make_link(playlist, studio.alice)
    open_as(client, link)
    response = client.post(reverse("comment_resolve", args=[comment.uuid]))
    assert response.status_code == 302 and "/login/" in response.url
    response = client.post(reverse("playlist_decide", args=[playlist.uuid]), {"state": "approved"})
    assert "/login/" in response.url
    assert not Decision.objects.exists()


def expire(link):
    link.expires_at = timezone.now() - timedelta(minutes=1)
    link.save()


def revoke(link):
    services.share_link_revoke(user=link.created_by, link=link)


@pytest.mark.parametrize("kill", [expire, revoke], ids=["expired", "revoked"])
def test_expired_and_revoked_links_are_gone_and_grant_nothing(
    client, studio, playlist, items, kill
):
    link = make_link(playlist, studio.alice)
    open_as(client, link)
    kill(link)
    take = items[0].take
    for method, url, data in [
        ("get", reverse("share_open", args=[link.token]), {}),
        ("post", reverse("share_comment", args=[link.token]), {"body": "late"}),
        ("post", reverse("share_decide", args=[link.token]), {"state": "approved"}),
        ("get", reverse("share_take_video", args=[link.token, take.uuid]), {}),
    ]:
        response = getattr(client, method)(url, data)
        assert response.status_code == 410, url
        assert "This link is no longer valid" in response.text
    assert not Comment.objects.exists() and not Decision.objects.exists()


def test_a_tampered_token_opens_nothing(client, studio, playlist, items):
    link = make_link(playlist, studio.alice)
    token = link.token
    payload, signature = token.rsplit(":", 1)
    for bad in (
        f"{payload}:{signature[::-1]}",
        f"{payload[:-1]}x:{signature}",
        "nonsense",
        signing.Signer(salt="another-salt").sign_object(link.token_payload()),
    ):
        response = client.get(reverse("share_open", args=[bad]))
        assert response.status_code == 404 and "This link does not work" in response.text


def test_a_link_used_on_another_object_opens_nothing(client, studio, playlist, items, takes):
    # A take of another storyboard of the same project, and another playlist's export.
    other_board = Storyboard.objects.create(project=studio.project, title="B-roll")
    other_shot = Shot.objects.create(
        storyboard=other_board,
        position=1,
        prompt="p",
        duration=4,
        aspect_ratio="16:9",
        video_model=studio.veo,
    )
    stranger = make_take(other_shot)
    stranger.video.save("s.mp4", ContentFile(b"secret"))
    board_link = make_link(studio.storyboard, studio.alice)
    open_as(client, board_link)
    assert (
        client.get(reverse("share_take_video", args=[board_link.token, stranger.uuid])).status_code
        == 404
    )
    response = client.post(
        reverse("share_decide", args=[board_link.token]),
        {"state": "approved", "take": stranger.uuid},
    )
    assert response.status_code == 404
    # A playlist link opens its items' takes only, and only its own exports.
    playlist_link = make_link(playlist, studio.alice)
    open_as(client, playlist_link)
    video = reverse("share_take_video", args=[playlist_link.token, items[0].take.uuid])
    assert client.get(video).status_code == 200
    assert (
        client.get(
            reverse("share_take_video", args=[playlist_link.token, stranger.uuid])
        ).status_code
        == 404
    )
    from studio.playlists.models import Playlist

    other_playlist = Playlist.objects.create(project=studio.project, name="Other")
    foreign_export = Export.objects.create(
        playlist=other_playlist, version=1, file_name="o.mp4", status=ExportStatus.DONE
    )
    foreign_export.video.save("o.mp4", ContentFile(b"secret"))
    url = reverse("share_export_video", args=[playlist_link.token, foreign_export.uuid])
    assert client.get(url).status_code == 404
    # A token naming this link but another object (as if its object were swapped) fails.
    forged = signing.Signer(salt=SHARE_SALT).sign_object(
        {"link": playlist_link.uuid.hex, "kind": "playlist", "target": other_playlist.uuid.hex}
    )
    assert client.get(reverse("share_open", args=[forged])).status_code == 404
    assert not Decision.objects.exists()


def test_guest_media_answers_range_requests(client, studio, playlist, items):
    link = make_link(playlist, studio.alice)
    export = Export.objects.create(
        playlist=playlist, version=1, file_name="v1.mp4", status=ExportStatus.DONE
    )
    export.video.save("v1.mp4", ContentFile(b"0123456789" * 10))
    take_url = reverse("share_take_video", args=[link.token, items[0].take.uuid])
    part = client.get(take_url, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206 and b"".join(part.streaming_content) == b"0123456789"
    assert part["Cache-Control"] == "private"  # never kept by a shared cache
    assert client.get(take_url)["Cache-Control"] == "private"
    url = reverse("share_export_video", args=[link.token, export.uuid])
    assert client.get(url, HTTP_RANGE="bytes=0-4").status_code == 206
    open_as(client, link)
    assert "Latest export" in client.get(reverse("share_open", args=[link.token])).text


@pytest.mark.parametrize("shared", ["playlist", "storyboard"])
def test_a_share_page_shows_no_template_text(client, studio, playlist, items, shared):
    """Notes written for the people who read the templates stayed on the page once (a {# #}
    over two lines, above every comment list, the client's share page included)."""
    target = playlist if shared == "playlist" else studio.storyboard
    link = make_link(target, studio.alice)
    take = items[0].take
    services.comment_add(target=playlist, body="On the playlist", user=studio.rita)
    services.comment_add(target=take, body="On the take", user=studio.rita)
    page = client.get(open_as(client, link)).content.decode()
    assert "On the playlist" in page or "On the take" in page
    for syntax in ("{#", "#}", "{%", "%}", "{{", "}}"):
        assert syntax not in page, f"{syntax} shows on the {shared}'s share page"
