"""A playlist's finishing settings: captions, transitions, the end card and loudness. Stored,
checked and shown here; the export engine renders them."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from studio.playlists import services
from studio.playlists.models import CAPTION_MAX_LENGTH, Playlist, PlaylistItem
from studio.playlists.preview import playlist_items, preview_items
from studio.playlists.summary import playlist_summary
from tests.factories import make_brand_kit

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def items(studio, playlist, takes) -> list[PlaylistItem]:
    """Three 4 s takes, in order."""
    return services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)


def finish(studio, item, caption="", transition="cut", seconds=None, user=None):
    return services.playlist_item_finish(
        user=user or studio.bob,
        item=item,
        caption=caption,
        transition=transition,
        transition_seconds=Decimal(seconds) if seconds is not None else None,
    )


def finishing(studio, playlist, user=None, **fields):
    values = {
        "end_card": True,
        "end_card_seconds": None,
        "cta_text": "",
        "cta_url": "",
        "loudness_target": -14,
    }
    return services.playlist_finish(user=user or studio.bob, playlist=playlist, **values | fields)


def saved(item: PlaylistItem) -> tuple:
    item.refresh_from_db()
    return item.caption, item.transition, item.transition_seconds


# -- Items: captions and transitions


def test_a_caption_and_a_crossfade_are_saved(studio, items):
    finish(studio, items[0], caption="  Squeezed today ", transition="crossfade", seconds="0.5")
    assert saved(items[0]) == ("Squeezed today", "crossfade", Decimal("0.50"))


def test_a_crossfade_longer_than_the_next_trimmed_item_is_refused_unchanged(studio, items):
    services.playlist_trim_item(
        user=studio.bob, item=items[1], trim_in=Decimal("0"), trim_out=Decimal("1")
    )
    with pytest.raises(ValidationError, match=r"longer than item 2 \(1.00 s as trimmed\)"):
        finish(studio, items[0], caption="Hook", transition="crossfade", seconds="1.5")
    assert saved(items[0]) == ("", "cut", None)


def test_a_crossfade_longer_than_its_own_trimmed_item_is_refused(studio, items):
    services.playlist_trim_item(
        user=studio.bob, item=items[1], trim_in=Decimal("3.5"), trim_out=None
    )
    with pytest.raises(ValidationError, match=r"make it at most 0\.50 s"):
        finish(studio, items[1], transition="crossfade", seconds="0.6")
    finish(studio, items[1], transition="crossfade", seconds="0.5")
    assert saved(items[1])[2] == Decimal("0.50")


def test_the_last_item_has_no_transition(studio, items):
    with pytest.raises(ValidationError, match="Item 3 is the last"):
        finish(studio, items[2], transition="crossfade", seconds="0.5")
    finish(studio, items[2], caption="Shop now")
    assert saved(items[2]) == ("Shop now", "cut", None)


@pytest.mark.parametrize("seconds", ["0.1", "2.1", None])
def test_a_crossfade_lasts_from_0_2_to_2_seconds(studio, items, seconds):
    with pytest.raises(ValidationError, match=r"lasts 0.2 to 2.0 s"):
        finish(studio, items[0], transition="crossfade", seconds=seconds)


def test_a_cut_forgets_the_crossfade_length(studio, items):
    finish(studio, items[0], transition="crossfade", seconds="1")
    finish(studio, items[0], transition="cut", seconds="1")
    assert saved(items[0]) == ("", "cut", None)


def test_a_caption_over_the_limit_is_refused_unchanged(studio, items):
    finish(studio, items[0], caption="Before")
    with pytest.raises(ValidationError, match=f"at most {CAPTION_MAX_LENGTH} characters"):
        finish(studio, items[0], caption="x" * (CAPTION_MAX_LENGTH + 1))
    assert saved(items[0])[0] == "Before"


def test_a_caption_over_the_limit_is_explained_on_the_page(client, studio, items):
    client.force_login(studio.bob)
    url = reverse("playlist_item_finish", args=[items[0].uuid])
    response = client.post(url, {"caption": "x" * 121, "transition": "cut"}, **HTMX)
    assert response["HX-Retarget"] == "#playlist-alert"
    assert "Caption: Ensure this value has at most 120 characters" in response.text
    assert saved(items[0]) == ("", "cut", None)


def test_a_trim_shorter_than_a_crossfade_is_refused(studio, items):
    finish(studio, items[0], transition="crossfade", seconds="1.5")
    with pytest.raises(ValidationError, match=r"shorter than the 1\.50 s crossfade of item 1"):
        services.playlist_trim_item(
            user=studio.bob, item=items[1], trim_in=Decimal("0"), trim_out=Decimal("1")
        )
    items[1].refresh_from_db()
    assert items[1].trim_out is None


def test_viewers_and_reviewers_cannot_finish(studio, playlist, items):
    for user in (studio.vera, studio.rita):
        with pytest.raises(PermissionDenied):
            finish(studio, items[0], caption="No", user=user)
        with pytest.raises(PermissionDenied):
            finishing(studio, playlist, user=user)
    assert saved(items[0]) == ("", "cut", None)
    playlist.refresh_from_db()
    assert not playlist.end_card


# -- The playlist: end card and loudness


def test_the_end_card_follows_the_brand_kit_else_two_seconds(studio, playlist):
    assert playlist.end_card_length == Decimal("2")
    make_brand_kit(studio.project, end_card_seconds=Decimal("4.5"))
    playlist = Playlist.objects.get(pk=playlist.pk)
    assert playlist.end_card_length == Decimal("4.5")
    finishing(studio, playlist, end_card_seconds=Decimal("1.5"))
    assert Playlist.objects.get(pk=playlist.pk).end_card_length == Decimal("1.5")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"end_card_seconds": Decimal("0.5")}, "An end card lasts 1 to 5 s."),
        ({"end_card_seconds": Decimal("6")}, "An end card lasts 1 to 5 s."),
        ({"cta_url": "http://example.com/shop"}, "Give a full https:// address"),
        ({"cta_url": "javascript:alert(1)"}, "Give a full https:// address"),
        ({"cta_text": "x" * 81}, "at most 80 characters"),
        ({"loudness_target": -20}, "Choose -14, -16 or -23 LUFS."),
    ],
)
def test_bad_finishing_is_refused_and_nothing_is_saved(studio, playlist, fields, message):
    good = {"cta_text": "Shop now", "loudness_target": -23}
    with pytest.raises(ValidationError, match=message):
        finishing(studio, playlist, **good | fields)
    playlist.refresh_from_db()
    assert (playlist.end_card, playlist.cta_text, playlist.loudness_target) == (False, "", -14)


def test_finishing_is_saved_and_duplicated(studio, playlist, items):
    finishing(
        studio,
        playlist,
        end_card_seconds=Decimal("3"),
        cta_text="Order today",
        cta_url="https://lemonade.example/order",
        loudness_target=-16,
    )
    finish(studio, items[0], caption="Hook", transition="crossfade", seconds="0.4")
    copy = services.playlist_duplicate(user=studio.bob, playlist=playlist)
    assert (copy.end_card, copy.end_card_seconds, copy.cta_url, copy.loudness_target) == (
        True,
        Decimal("3"),
        "https://lemonade.example/order",
        -16,
    )
    first = copy.items.first()
    assert first is not None and saved(first) == ("Hook", "crossfade", Decimal("0.40"))


# -- The meter and the preview


def test_the_meter_counts_the_end_card_and_subtracts_crossfades(studio, playlist, items):
    finish(studio, items[0], transition="crossfade", seconds="0.5")
    finish(studio, items[1], transition="crossfade", seconds="1")
    finishing(studio, playlist, end_card_seconds=Decimal("3"))
    summary = playlist_summary(playlist, playlist_items(playlist))
    # 3 x 4 s, less 1.5 s of crossfades, and the 3 s end card
    assert (summary.length, summary.crossfades, summary.end_card) == (
        Decimal("13.5"),
        Decimal("1.5"),
        Decimal("3"),
    )
    finishing(studio, playlist, end_card=False)
    assert playlist_summary(playlist, playlist_items(playlist)).length == Decimal("10.5")


def test_a_crossfade_left_last_by_a_reorder_is_ignored_and_warned(studio, playlist, items):
    finish(studio, items[0], transition="crossfade", seconds="0.5")
    services.playlist_reorder(
        user=studio.bob, playlist=playlist, item_uuids=[items[1].uuid, items[2].uuid, items[0].uuid]
    )
    summary = playlist_summary(playlist, playlist_items(playlist))
    assert summary.length == Decimal("12")
    assert "Item 3 is last now: its crossfade is ignored." in summary.warnings


def test_the_preview_carries_captions_and_transitions(studio, playlist, items):
    finish(studio, items[0], caption="Fresh", transition="crossfade", seconds="0.5")
    finish(studio, items[2], caption="Shop now")
    preview = json.loads(preview_items(playlist_items(playlist)))
    assert [(p["caption"], p["transition"], p["crossfade"]) for p in preview] == [
        ("Fresh", "crossfade", 0.5),
        ("", "cut", 0.0),
        ("Shop now", "cut", 0.0),
    ]
    # The next item starts as the crossfade begins: the timeline pinned comments use.
    assert [p["offset"] for p in preview] == [0.0, 3.5, 7.5]


# -- The page and its fragments


def test_summary_fragment_counts_the_end_card_with_the_kits_length(
    client, studio, playlist, items, django_assert_num_queries
):
    make_brand_kit(studio.project, end_card_seconds=Decimal("2.5"))
    playlist.end_card = True
    playlist.save(update_fields=["end_card"])
    client.force_login(studio.bob)
    # user, playlist (+project, team), items, kit, memberships (the timeline's handles)
    with django_assert_num_queries(5):
        response = client.get(reverse("playlist_summary", args=[playlist.uuid]), **HTMX)
    assert "14.5 s</strong> of 15 s" in response.text and "end card 2.5 s" in response.text


def test_editing_an_item_in_place_answers_with_the_list(
    client, studio, playlist, items, django_assert_num_queries
):
    client.force_login(studio.bob)
    url = reverse("playlist_item_finish", args=[items[0].uuid])
    data = {"caption": "Cold and fresh", "transition": "crossfade", "transition_seconds": "0.8"}
    # user, item (+playlist, project, team, take), role, savepoint, lock, items
    # (+takes), update, release savepoint; then the list: items (+takes, shots)
    with django_assert_num_queries(9):
        response = client.post(url, data, **HTMX)
    assert json.loads(response["HX-Trigger"]) == {"playlist-changed": {}}
    assert 'value="Cold and fresh"' in response.text
    assert '<option value="crossfade" selected>' in response.text
    assert saved(items[0]) == ("Cold and fresh", "crossfade", Decimal("0.80"))


def test_the_end_card_section_answers_with_itself(
    client, studio, playlist, django_assert_num_queries
):
    make_brand_kit(studio.project, primary_colour="#102030", secondary_colour="#FFEEDD")
    client.force_login(studio.bob)
    url = reverse("playlist_finishing", args=[playlist.uuid])
    data = {"end_card": "on", "cta_text": "Order today", "loudness_target": "-23"}
    # user, playlist (+project, team), role, update, the project's kit
    with django_assert_num_queries(5):
        response = client.post(url, data, **HTMX)
    assert json.loads(response["HX-Trigger"]) == {"playlist-changed": {}}
    assert 'fill="#102030"' in response.text and "Order today" in response.text
    assert "the brand kit (3.0 s)" in response.text
    playlist.refresh_from_db()
    assert (playlist.end_card, playlist.cta_text, playlist.loudness_target) == (
        True,
        "Order today",
        -23,
    )


def test_an_http_url_is_explained_on_the_page_and_nothing_saved(client, studio, playlist):
    client.force_login(studio.bob)
    url = reverse("playlist_finishing", args=[playlist.uuid])
    data = {"end_card": "on", "cta_url": "http://example.com", "loudness_target": "-14"}
    response = client.post(url, data, **HTMX)
    assert response["HX-Retarget"] == "#playlist-alert"
    assert "https://" in response.text
    playlist.refresh_from_db()
    assert not playlist.end_card


def test_without_a_brand_kit_the_page_says_where_to_choose_one(client, studio, playlist, items):
    client.force_login(studio.bob)
    page = client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    assert "No brand kit: choose one on the" in page
    assert 'for="caption-' in page and 'id="loudness-target"' in page
    assert page.count('name="transition_seconds"') == 2  # not on the last item


def test_a_viewer_sees_the_finishing_but_no_form(client, studio, playlist, items):
    finish(studio, items[0], caption="Fresh", transition="crossfade", seconds="0.5")
    client.force_login(studio.vera)
    page = client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    assert "Caption: “Fresh” · then crossfade 0.50 s" in page
    assert "No end card · loudness -14 LUFS" in page
    assert 'name="caption"' not in page and 'id="loudness-target"' not in page
