"""The Deliverables panel, item framing and keep marks on the playlist page."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from studio.playlists import services
from studio.playlists.deliverables import deliverables_make
from studio.playlists.models import Export, ExportStatus, Playlist
from studio.review.services import review_decide
from tests.factories import make_playlist, make_take

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def ad(studio, takes) -> Playlist:
    """Three 4 s takes (12 s) and a 2 s end card: 14 s."""
    ad = make_playlist(studio.project, name="Hero", target_seconds=15)
    services.playlist_add_takes(user=studio.bob, playlist=ad, takes=takes)
    Playlist.objects.filter(pk=ad.pk).update(end_card=True, end_card_seconds=D(2))
    ad.refresh_from_db()
    return ad


def page(client, playlist, **headers):
    return client.get(reverse("playlist_detail", args=[playlist.uuid]), **headers)


def test_outsider_gets_404_and_nothing_changes(client, studio, ad):
    item = ad.items.first()
    client.force_login(studio.oscar)
    posts = [
        (reverse("playlist_deliverables", args=[ad.uuid]), {"placements": "vertical"}),
        (reverse("playlist_item_frame", args=[item.uuid]), {"framing": "blur"}),
        (reverse("playlist_item_keep", args=[item.uuid]), {"keep": "on"}),
    ]
    for url, data in posts:
        assert client.post(url, data | {"lengths": "full"}, **HTMX).status_code == 404, url
    item.refresh_from_db()
    assert (item.framing, item.keep) == ("crop", False)
    assert not ad.deliverables.exists()


def test_the_panel_says_what_each_length_would_be(client, studio, ad):
    client.force_login(studio.bob)
    text = page(client, ad).text
    assert 'id="deliverables"' in text
    assert "14.0 s, every item" in text
    assert "not made: the full cut is already 14.0 s" in text  # 15 s
    assert "6.0 s: drops items 2, 3" in text  # the hook and the end card: 6 s
    for label in ("YouTube 16:9", "Reels 9:16", "Feed 1:1", "Feed 4:5"):
        assert f'value="{label}"' not in text and label in text


def test_making_deliverables_answers_with_the_panel_listing_them(client, studio, ad):
    client.force_login(studio.bob)
    response = client.post(
        reverse("playlist_deliverables", args=[ad.uuid]),
        {"placements": ["vertical", "feed-square"], "lengths": ["full", "15", "6"]},
        **HTMX,
    )
    assert response.status_code == 200
    text = response.text
    assert "Made 4 deliverables. No 15 s cut: the full cut is already 14.0 s." in text
    assert "<html" not in text
    assert text.count("<tr>") == 1 + 4  # the head and one row each
    made = list(ad.deliverables.order_by("pk"))
    assert [d.name for d in made] == [
        "Hero · Reels 9:16 · full cut",
        "Hero · Reels 9:16 · 6 s",
        "Hero · Feed 1:1 · full cut",
        "Hero · Feed 1:1 · 6 s",
    ]
    assert reverse("playlist_detail", args=[made[0].uuid]) in text


def test_making_without_a_placement_is_explained(client, studio, ad):
    client.force_login(studio.bob)
    response = client.post(
        reverse("playlist_deliverables", args=[ad.uuid]), {"lengths": ["full"]}, **HTMX
    )
    assert response["HX-Retarget"] == "#playlist-alert"
    assert "Choose at least one placement." in response.text
    assert not ad.deliverables.exists()


def test_without_javascript_making_redirects_with_the_message(client, studio, ad):
    client.force_login(studio.bob)
    response = client.post(
        reverse("playlist_deliverables", args=[ad.uuid]),
        {"placements": "youtube", "lengths": "6"},
        follow=True,
    )
    assert "Made 1 deliverable." in response.text


def test_viewer_sees_the_list_but_no_form(client, studio, ad):
    deliverables_make(user=studio.bob, playlist=ad, platforms=["vertical"], lengths=[6])
    client.force_login(studio.vera)
    text = page(client, ad).text
    assert "Hero · Reels 9:16 · 6 s" in text
    assert "Make deliverables" not in text
    response = client.post(
        reverse("playlist_deliverables", args=[ad.uuid]),
        {"placements": "youtube", "lengths": "6"},
        **HTMX,
    )
    assert response.status_code == 403


def test_page_query_count_does_not_grow_with_deliverables(
    client, studio, ad, django_assert_num_queries
):
    made = deliverables_make(
        user=studio.bob,
        playlist=ad,
        platforms=["youtube", "vertical", "feed-square"],
        lengths=[None, 6],
    ).playlists
    review_decide(target=made[0], state="approved", user=studio.rita)
    Export.objects.create(
        playlist=made[1], version=1, file_name="hero_v1.mp4", status=ExportStatus.DONE
    )
    client.force_login(studio.bob)
    # user, playlist (+project, team), items (+takes, shots), the user's memberships,
    # exports, review decisions (+deciders), review comments (+authors), share links
    # (+creators), the deliverables (each with its latest export as subqueries), their
    # decisions (one more query: each state follows from every reviewer's decision by the
    # team's rule, which a latest-decision subquery could not say), the ad's latest
    # deliveries (Export all), the pause banner, takes to add (+their storyboards)
    with django_assert_num_queries(13):
        text = page(client, ad).text
    assert text.count('<td><a href="/playlists/') == 6
    assert "Export all" in text
    assert "Approved" in text and "hero_v1.mp4" in text and "Not exported yet" in text


def test_a_deliverables_page_links_back_to_its_ad_and_has_no_panel(client, studio, ad):
    made = deliverables_make(user=studio.bob, playlist=ad, platforms=["vertical"], lengths=[6])
    client.force_login(studio.bob)
    text = page(client, made.playlists[0]).text
    assert "A deliverable made from" in text
    assert f'href="{reverse("playlist_detail", args=[ad.uuid])}">Hero</a>' in text
    assert 'id="deliverables"' not in text
    assert "Keep in shorter cuts" not in text


# Items: framing and keep


def test_framing_controls_appear_when_the_takes_ratio_differs(client, studio, ad, shots):
    client.force_login(studio.bob)
    assert "Crop centre, across" not in page(client, ad).text  # 16:9 takes in a 16:9 ad
    square = make_playlist(
        studio.project, name="Square", platform="feed-square", aspect_ratio="1:1"
    )
    services.playlist_add_takes(user=studio.bob, playlist=square, takes=[make_take(shots[0])])
    text = page(client, square).text
    assert "Crop centre, across" in text and "Crop centre, down" in text
    assert "Fit on a blurred copy" in text


def test_setting_the_crop_centre(client, studio, ad):
    item = ad.items.first()
    client.force_login(studio.bob)
    response = client.post(
        reverse("playlist_item_frame", args=[item.uuid]),
        {"framing": "crop", "crop_x": "0.3", "crop_y": "0.75"},
        **HTMX,
    )
    assert response.status_code == 200 and 'id="playlist-items"' in response.text
    item.refresh_from_db()
    assert (item.framing, item.crop_x, item.crop_y) == ("crop", D("0.3"), D("0.75"))


@pytest.mark.parametrize(
    ("crop_x", "crop_y", "message"),
    [
        ("1.5", "0.5", "not across 1.5"),
        ("0.5", "-0.2", "not down -0.2"),
        ("12", "7", "not across 12 and down 7"),
        ("left", "0.5", "Crop centre, across: Enter a number."),
    ],
)
def test_a_crop_centre_outside_the_frame_is_explained_and_nothing_changes(
    client, studio, ad, crop_x, crop_y, message
):
    item = ad.items.first()
    client.force_login(studio.bob)
    response = client.post(
        reverse("playlist_item_frame", args=[item.uuid]),
        {"framing": "blur", "crop_x": crop_x, "crop_y": crop_y},
        **HTMX,
    )
    assert response["HX-Retarget"] == "#playlist-alert"
    assert message in response.text
    if "Enter" not in message:
        assert "The crop centre must lie inside the frame" in response.text
    item.refresh_from_db()
    assert (item.framing, item.crop_x, item.crop_y) == ("crop", D("0.5"), D("0.5"))


def test_keep_toggle(client, studio, ad):
    item = ad.items.first()
    client.force_login(studio.bob)
    url = reverse("playlist_item_keep", args=[item.uuid])
    response = client.post(url, {"keep": "on"}, **HTMX)
    assert 'aria-pressed="true"' in response.text and "kept in shorter cuts" in response.text
    item.refresh_from_db()
    assert item.keep
    client.post(url, {"keep": "off"}, **HTMX)
    item.refresh_from_db()
    assert not item.keep


def test_new_playlist_offers_every_placement(client, studio):
    client.force_login(studio.bob)
    text = client.get(reverse("playlist_create", args=[studio.project.uuid])).text
    assert ">Placement<" in text
    assert "Feed (1:1)" in text and "Feed (4:5)" in text
    client.post(
        reverse("playlist_create", args=[studio.project.uuid]),
        {"name": "Square", "platform": "feed-portrait", "length": "15"},
    )
    assert Playlist.objects.get(name="Square").aspect_ratio == "4:5"


# The panel follows the items: a keep mark, trim, reorder or removal fires playlist-changed


def panel(client, playlist, **params):
    url = reverse("playlist_deliverables_panel", args=[playlist.uuid])
    return client.get(url, params, **HTMX)


def test_the_panel_reloads_itself_when_the_playlist_changes(client, studio, ad):
    client.force_login(studio.bob)
    text = page(client, ad).text
    url = reverse("playlist_deliverables_panel", args=[ad.uuid])
    section = text[text.index('<section id="deliverables"') :].split(">", 1)[0]
    assert f'hx-get="{url}"' in section
    assert 'hx-trigger="playlist-changed from:body"' in section
    assert 'hx-swap="outerHTML"' in section
    # The boxes ticked go along (not the whole form: no CSRF token in a URL).
    assert 'hx-include="#deliverables-placements, #deliverables-lengths"' in section
    assert '<fieldset id="deliverables-placements">' in text
    assert '<fieldset id="deliverables-lengths">' in text
    # Focus stays where the user is: each control keeps its id across the swap (htmx puts
    # focus back on it), and nothing in the panel takes focus on its own.
    assert 'id="deliverables-placement-vertical"' in text and 'id="deliverables-length-6"' in text
    assert "autofocus" not in section
    # A keep mark (as a trim, a reorder or a removal) answers with the items and the event.
    item = ad.items.first()
    response = client.post(reverse("playlist_item_keep", args=[item.uuid]), {"keep": "on"}, **HTMX)
    assert "playlist-changed" in response["HX-Trigger"]


def test_the_panels_cut_previews_follow_a_keep_mark(client, studio, ad):
    client.force_login(studio.bob)
    response = panel(client, ad)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<section id="deliverables"')
    assert "6.0 s: drops items 2, 3" in response.text
    third = ad.items.order_by("position")[2]
    services.playlist_item_keep(user=studio.bob, item=third, keep=True)
    text = panel(client, ad).text
    assert "6.0 s: drops item 2; trims item 1 (the hook) to 1.0 s" in text
    assert "trims item 3 (kept) to 3.0 s" in text


def test_the_panel_keeps_the_boxes_ticked_before_it_reloaded(client, studio, ad):
    client.force_login(studio.bob)
    text = panel(client, ad, placements=["vertical", "nowhere"], lengths="6").text
    assert 'value="vertical" id="deliverables-placement-vertical" checked' in text
    assert 'value="6" id="deliverables-length-6" checked' in text
    assert text.count(" checked") == 2


def test_the_panel_for_a_viewer_lists_without_the_form(client, studio, ad):
    deliverables_make(user=studio.bob, playlist=ad, platforms=["vertical"], lengths=[6])
    client.force_login(studio.vera)
    text = panel(client, ad).text
    assert "Hero · Reels 9:16 · 6 s" in text and "Make deliverables" not in text


def test_the_panel_is_an_ads_only_and_an_outsiders_never(client, studio, ad):
    made = deliverables_make(user=studio.bob, playlist=ad, platforms=["vertical"], lengths=[6])
    client.force_login(studio.bob)
    assert panel(client, made.playlists[0]).status_code == 404  # a deliverable has none
    client.force_login(studio.oscar)
    assert panel(client, ad).status_code == 404


def test_the_panels_query_count_does_not_grow_with_deliverables(
    client, studio, ad, django_assert_num_queries
):
    deliverables_make(
        user=studio.bob, playlist=ad, platforms=["youtube", "vertical"], lengths=[None, 6]
    )
    client.force_login(studio.bob)
    # user, playlist (+project, team), the user's memberships, items (+takes,
    # shots), the deliverables (each with its latest export as a subquery), their decisions
    # (one more query: each state follows from every reviewer's decision by the team's
    # rule), the ad's latest deliveries (Export all)
    with django_assert_num_queries(7):
        text = panel(client, ad).text
    assert text.count('<td><a href="/playlists/') == 4
