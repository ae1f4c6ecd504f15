"""A playlist's items as its pages show them: the list, and what the in-page player plays. The
team's playlist page and a share link's page both use these."""

import json
from collections.abc import Callable

from django.urls import reverse

from studio.generation.models import Take

from .models import Playlist, PlaylistItem
from .timeline import crossfades, item_label, playlist_timeline


def playlist_items(playlist: Playlist) -> list[PlaylistItem]:
    return list(playlist.items.select_related("take__shot"))


def team_video_url(take: Take) -> str:
    return reverse("take_video", args=[take.uuid])


def preview_items(
    items: list[PlaylistItem], video_url: Callable[[Take], str] = team_video_url
) -> str:
    """What the in-page player needs, as JSON: each finished item's source, its cut, its
    label, its caption and its transition into the next (the crossfade as it plays, 0 for a
    cut), on the timeline that pinned comments use."""
    timeline = playlist_timeline(items)
    fades = crossfades([item for item, _ in timeline])
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
            }
            for (item, offset), fade in zip(timeline, fades, strict=True)
        ]
    )
