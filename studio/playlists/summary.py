"""What the playlist page shows live about the playlist as it changes: its length against the
target (end card added, crossfades taken away), its cost, and what to look at."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .models import Framing, Playlist, PlaylistItem
from .timeline import crossfades, played_length


@dataclass
class PlaylistSummary:
    """What the playlist page shows live as it changes."""

    length: Decimal
    target: int
    count: int
    cost: Decimal
    end_card: Decimal = Decimal("0")  # what the end card adds
    crossfades: Decimal = Decimal("0")  # what the crossfades take away
    warnings: list[str] = field(default_factory=list)

    @property
    def over_target(self) -> bool:
        return self.length > self.target

    @property
    def meter_max(self) -> Decimal:
        return max(self.length, Decimal(self.target))


def playlist_summary(playlist: Playlist, items: Sequence[PlaylistItem]) -> PlaylistSummary:
    """From items already loaded with their takes; the end card's length may read the
    project's brand kit (one query, when the playlist follows the kit's length)."""
    fades = crossfades(items)
    end_card = playlist.end_card_added
    summary = PlaylistSummary(
        length=played_length(items) + end_card,
        target=playlist.target_seconds,
        count=len(items),
        cost=sum((item.take.cost for item in items), Decimal("0.00")),
        end_card=end_card,
        crossfades=sum(fades, Decimal("0")),
    )
    for number, (item, fade) in enumerate(zip(items, fades, strict=True), start=1):
        if item.crossfade and number == len(items):
            summary.warnings.append(f"Item {number} is last now: its crossfade is ignored.")
        elif fade < item.crossfade:
            summary.warnings.append(
                f"Item {number}'s {item.crossfade} s crossfade is longer than a neighbour: "
                f"it plays as {fade:.2f} s."
            )
        if item.take.aspect_ratio != playlist.aspect_ratio and item.framing == Framing.FIT:
            summary.warnings.append(
                f"Item {number} is {item.take.aspect_ratio}; the playlist is "
                f"{playlist.aspect_ratio}: it will be letterboxed."
            )
        if not item.is_ready:
            summary.warnings.append(
                f"Item {number} is not a finished take ({item.take.get_status_display()})."
            )
    if summary.over_target:
        summary.warnings.append(f"{summary.length:.1f} s is over the {summary.target} s target.")
    return summary
