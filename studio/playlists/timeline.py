"""A playlist as it plays back to back: when each finished item starts, what is on screen at a
moment, and how an item is named. The preview, pinned comments and exports agree on this."""

from collections.abc import Sequence
from decimal import Decimal

from .models import PlaylistItem


def playlist_timeline(items: Sequence[PlaylistItem]) -> list[tuple[PlaylistItem, Decimal]]:
    """Each finished item with the moment it starts when the playlist plays back to back:
    the same timeline as the page's preview, which skips unfinished items."""
    timeline, offset = [], Decimal("0")
    for item in items:
        if item.is_ready:
            timeline.append((item, offset))
            offset += item.length
    return timeline


def item_label(item: PlaylistItem) -> str:
    return f"Shot {item.take.shot.position}, take {item.take.take_number}"


def playlist_item_at(
    items: Sequence[PlaylistItem], seconds: Decimal
) -> tuple[PlaylistItem | None, Decimal]:
    """The item on screen at this moment of the playlist, and the playlist's length."""
    timeline = playlist_timeline(items)
    total = sum((item.length for item, _ in timeline), Decimal("0"))
    for item, offset in reversed(timeline):
        if seconds >= offset:
            return item, total
    return None, total
