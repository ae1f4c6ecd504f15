"""A playlist as it plays back to back: when each finished item starts, what is on screen at a
moment, and how an item is named. The preview, pinned comments and exports agree on this."""

from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise

from .models import PlaylistItem


def crossfades(items: Sequence[PlaylistItem]) -> list[Decimal]:
    """The crossfade out of each item into the one after it in this sequence, as it plays:
    none after the last item, and never longer than either neighbour (a reorder or a trim may
    have made a saved crossfade too long; the summary warns of it)."""
    fades = [
        max(Decimal("0"), min(item.crossfade, item.length, following.length))
        for item, following in pairwise(items)
    ]
    return [*fades, Decimal("0")] if items else []


def played_length(items: Sequence[PlaylistItem]) -> Decimal:
    """These items back to back, each crossfade overlapping the two items it joins."""
    fades = crossfades(items)
    return sum((item.length - fade for item, fade in zip(items, fades, strict=True)), Decimal("0"))


def playlist_timeline(items: Sequence[PlaylistItem]) -> list[tuple[PlaylistItem, Decimal]]:
    """Each finished item with the moment it starts when the playlist plays back to back:
    the same timeline as the page's preview, which skips unfinished items. A crossfade brings
    the next item in that much earlier."""
    ready = [item for item in items if item.is_ready]
    timeline, offset = [], Decimal("0")
    for item, fade in zip(ready, crossfades(ready), strict=True):
        timeline.append((item, offset))
        offset += item.length - fade
    return timeline


def item_label(item: PlaylistItem) -> str:
    return f"Shot {item.take.shot.position}, take {item.take.take_number}"


def playlist_item_at(
    items: Sequence[PlaylistItem], seconds: Decimal
) -> tuple[PlaylistItem | None, Decimal]:
    """The item on screen at this moment of the playlist, and the playlist's length."""
    timeline = playlist_timeline(items)
    total = played_length([item for item, _ in timeline])
    for item, offset in reversed(timeline):
        if seconds >= offset:
            return item, total
    return None, total
