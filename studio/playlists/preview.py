"""A playlist's items as its pages show them: the list, and what the in-page player plays. The
team's playlist page and a share link's page both use these."""

import json
from collections.abc import Callable

from django.urls import reverse

from studio.brands.models import BrandKit
from studio.generation.models import Take

from .finish_spec import end_card_spec, kit_font
from .models import Playlist, PlaylistItem
from .timeline import crossfades, item_label, playlist_timeline


def playlist_items(playlist: Playlist) -> list[PlaylistItem]:
    return list(playlist.items.select_related("take__shot"))


def team_video_url(take: Take) -> str:
    return reverse("take_video", args=[take.uuid])


def team_logo_url(kit: BrandKit) -> str:
    return reverse("brand_kit_logo", args=[kit.uuid])


def preview_items(
    items: list[PlaylistItem],
    video_url: Callable[[Take], str] = team_video_url,
    logo_url: Callable[[BrandKit], str] = team_logo_url,
) -> str:
    """What the in-page player needs, as JSON: each finished item's source, its cut, its
    label, its caption, its framing and its transition into the next (the crossfade as it
    plays, 0 for a cut), on the timeline that pinned comments use; then, when the playlist has
    one, the end card (an entry of kind "end_card"), so the preview lasts as long as the
    length meter.

    The items are the playlist's (playlist_items), which carry the playlist itself: no query
    unless the end card reads the project's brand kit, which the summary has usually read."""
    timeline = playlist_timeline(items)
    fades = crossfades([item for item, _ in timeline])
    # The team's pages and a share link's page serve the takes and the logo by URLs of their own.
    card = end_card(timeline[0][0].playlist, logo_url) if timeline else None
    if card is not None:  # after the last item, which has no crossfade
        last, offset = timeline[-1]
        card["offset"] = float(offset + last.length)
    return json.dumps(
        [
            {
                "src": video_url(item.take),
                "start": float(item.start),
                "end": float(item.end),
                "offset": float(offset),
                "label": item_label(item),
                "caption": item.caption,
                "transition": item.transition if fade else "cut",
                "crossfade": float(fade),
                # How a take of another ratio fills the frame (the export's framing).
                "framing": item.framing,
                "crop": [float(item.crop_x), float(item.crop_y)],
            }
            for (item, offset), fade in zip(timeline, fades, strict=True)
        ]
        + ([card] if card else [])
    )


def end_card(
    playlist: Playlist, logo_url: Callable[[BrandKit], str] | None = team_logo_url
) -> dict | None:
    """The end card as the preview draws it, with the export's texts and colours
    (finish_spec.py): the playlist's call to action, else the brand kit's; the kit's primary
    colour behind its secondary, else white on black. None when the playlist has none."""
    if not playlist.end_card:
        return None
    kit = playlist.project.brand_kit
    spec = end_card_spec(playlist, kit, kit_font(kit), logo=None)  # drawn from its URL
    return {
        "kind": "end_card",
        "label": "End card",
        "length": float(spec.length),
        "call_to_action": spec.call_to_action,
        "url": spec.url,
        "background": spec.background,
        "text_colour": spec.text_colour,
        "logo": logo_url(kit) if kit is not None and kit.logo and logo_url else None,
    }
