"""The in-page preview plays the end card after the last item, as the export does: its
length, texts and colours, so the preview's clock ends where the length meter does."""

import json
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from studio.playlists import services
from studio.playlists.models import PlaylistItem
from studio.playlists.preview import playlist_items, preview_items
from studio.playlists.summary import playlist_summary
from tests.factories import make_brand_kit, make_link
from tests.urls_table import TINY_PNG as PNG

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(studio, playlist, takes) -> list[PlaylistItem]:
    """Three 4 s takes, in order."""
    return services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)


def finishing(studio, playlist, **fields):
    values = {
        "end_card": True,
        "end_card_seconds": None,
        "cta_text": "",
        "cta_url": "",
        "loudness_target": -14,
    }
    return services.playlist_finish(user=studio.bob, playlist=playlist, **values | fields)


def preview(playlist, **kwargs) -> list[dict]:
    return json.loads(preview_items(playlist_items(playlist), **kwargs))


def implied_total(entries: list[dict]) -> Decimal:
    """The length the player computes (playlist.js): each item less its crossfade, plus the card."""
    return sum(
        (
            Decimal(str(e["length"]))
            if e.get("kind") == "end_card"
            else Decimal(str(e["end"])) - Decimal(str(e["start"])) - Decimal(str(e["crossfade"]))
            for e in entries
        ),
        Decimal("0"),
    )


def test_without_a_kit_the_card_is_the_playlists_texts_in_neutral_colours(studio, playlist, items):
    finishing(
        studio,
        playlist,
        end_card_seconds=Decimal("2.5"),
        cta_text="Order today",
        cta_url="https://example.com/order",
    )
    *played, card = preview(playlist)
    assert len(played) == 3
    assert card == {
        "kind": "end_card",
        "label": "End card",
        "length": 2.5,
        "offset": 12.0,
        "call_to_action": "Order today",
        "url": "https://example.com/order",
        "background": "#000000",
        "text_colour": "#FFFFFF",
        "logo": None,
    }


def test_with_a_kit_the_card_takes_its_colours_texts_length_and_logo(studio, playlist, items):
    kit = make_brand_kit(
        studio.project,
        primary_colour="#102030",
        secondary_colour="#FFEEDD",
        cta_text="Squeeze the day",
        cta_url="https://lemonade.example",
        end_card_seconds=Decimal("3.5"),
        logo="brand-kits/logo.png",
        logo_type="png",
    )
    finishing(studio, playlist, cta_text="Order today")  # the kit's URL and length stay
    card = preview(playlist)[-1]
    assert (card["length"], card["call_to_action"], card["url"]) == (
        3.5,
        "Order today",
        "https://lemonade.example",
    )
    assert (card["background"], card["text_colour"]) == ("#102030", "#FFEEDD")
    assert card["logo"] == reverse("brand_kit_logo", args=[kit.uuid])


def test_a_share_links_guest_sees_the_logo_through_the_link(client, studio, playlist, items):
    kit = make_brand_kit(studio.project, logo_type="png")
    kit.logo.save("logo.png", ContentFile(PNG))
    finishing(studio, playlist)
    link = make_link(playlist, studio.alice)
    client.post(reverse("share_name", args=[link.token]), {"name": "Clara"})
    page = client.get(reverse("share_open", args=[link.token]))
    card = json.loads(page.context["preview"])[-1]
    assert card["kind"] == "end_card" and card["logo"] == f"/s/{link.token}/logo/"

    logo = client.get(card["logo"])
    assert logo.status_code == 200 and b"".join(logo.streaming_content) == PNG
    assert (logo["Content-Type"], logo["X-Content-Type-Options"]) == ("image/png", "nosniff")
    storyboard_link = make_link(studio.storyboard, studio.alice)
    assert client.get(reverse("share_logo", args=[storyboard_link.token])).status_code == 404
    assert client.get(reverse("share_logo", args=["not-a-token"])).status_code == 404


def test_no_card_in_the_preview_when_the_end_card_is_off(studio, playlist, items):
    finishing(studio, playlist, end_card=False, cta_text="Order today")
    assert all(entry.get("kind") != "end_card" for entry in preview(playlist))


@pytest.mark.parametrize("kit", [False, True])
def test_the_preview_lasts_as_long_as_the_length_meter(studio, playlist, items, kit):
    if kit:
        make_brand_kit(studio.project, end_card_seconds=Decimal("4"))
    services.playlist_item_finish(
        user=studio.bob,
        item=items[0],
        caption="",
        transition="crossfade",
        transition_seconds=Decimal("0.5"),
    )
    finishing(studio, playlist)
    summary = playlist_summary(playlist, playlist_items(playlist))
    assert summary.end_card == (Decimal("4") if kit else Decimal("2"))
    assert implied_total(preview(playlist)) == summary.length


def test_the_playlist_page_carries_the_card_in_its_preview(client, studio, playlist, items):
    finishing(studio, playlist, cta_text="Order today")
    client.force_login(studio.bob)
    page = client.get(reverse("playlist_detail", args=[playlist.uuid]))
    assert json.loads(page.context["preview"])[-1]["call_to_action"] == "Order today"
    assert "data-end-card " in page.text
