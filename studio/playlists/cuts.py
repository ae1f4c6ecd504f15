"""Shorter cuts proposed from a full ad (pure: no database, no writes).

The hook (the first item) and the close stay: the end card when the ad has one, else its last
item (the packshot). Unmarked middle items are dropped from the latest back until the cut fits
its target; if it is still too long, the kept items are trimmed from their ends (never below
1 s), unmarked ones first, the hook last, and the items marked "keep" only if nothing else can
give. A cut is measured as the preview and the export will play it (timeline.played_length)
from the values it stores: its crossfades rounded down to 0.01 s, or made cuts."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from itertools import pairwise

from .models import CROSSFADE_MIN_SECONDS, PlaylistItem

SHORTEST_ITEM = Decimal("1")  # seconds: an item trimmed shorter reads as a glitch
MILLISECOND = Decimal("0.001")
HUNDREDTH = Decimal("0.01")  # a stored crossfade's precision
ROUNDS = 20  # a trim pass repeats while crossfades, capped by the trimmed item, still overlap


@dataclass(frozen=True)
class Piece:
    """One item of the full cut, as it plays there."""

    start: Decimal  # its trim in (0 when untrimmed)
    end: Decimal  # its trim out (the take's length when untrimmed)
    crossfade: Decimal = Decimal("0")  # into the next item, as set
    keep: bool = False
    trim_in: Decimal | None = None  # as stored, so an untouched item is copied as it was
    trim_out: Decimal | None = None

    @property
    def length(self) -> Decimal:
        return self.end - self.start


@dataclass(frozen=True)
class CutItem:
    source: int  # the item's index in the full cut
    trim_in: Decimal | None
    trim_out: Decimal | None
    transition_seconds: Decimal | None  # the crossfade into the next kept item, or a cut


@dataclass(frozen=True)
class Cut:
    items: tuple[CutItem, ...]
    length: Decimal  # as it plays from the items as stored, end card included
    notes: tuple[str, ...]  # what was dropped and trimmed, in words


class CutImpossible(ValueError):
    """The target cannot be met; the message says why and what would help."""


def pieces(items: Sequence[PlaylistItem]) -> list[Piece]:
    """The playlist's items (with their takes loaded) as the proposal reads them."""
    return [
        Piece(
            start=item.start,
            end=item.end,
            crossfade=item.crossfade,
            keep=item.keep,
            trim_in=item.trim_in,
            trim_out=item.trim_out,
        )
        for item in items
    ]


@dataclass
class _Kept:
    source: int
    piece: Piece
    end: Decimal  # where it is cut now

    @property
    def length(self) -> Decimal:
        return self.end - self.piece.start


def _fades(kept: list[_Kept]) -> list[Decimal]:
    """The crossfade out of each kept item as it plays: none after the last, never longer than
    either neighbour (as timeline.crossfades)."""
    fades = [
        max(Decimal("0"), min(a.piece.crossfade, a.length, b.length)) for a, b in pairwise(kept)
    ]
    return [*fades, Decimal("0")] if kept else []


def _transitions(kept: list[_Kept]) -> list[Decimal | None]:
    """The crossfade out of each kept item as it is stored: as it plays, rounded down to the
    0.01 s the field holds; one too short to be allowed once capped by a trimmed neighbour
    is a cut (None)."""
    return [
        fade.quantize(HUNDREDTH, rounding=ROUND_DOWN) if fade >= CROSSFADE_MIN_SECONDS else None
        for fade in _fades(kept)
    ]


def _length(kept: list[_Kept], fades: list[Decimal], end_card: Decimal) -> Decimal:
    played = sum((k.length - fade for k, fade in zip(kept, fades, strict=True)), Decimal("0"))
    return played + end_card


def _played(kept: list[_Kept], end_card: Decimal) -> Decimal:
    """The cut as it will play from what is stored: timeline.played_length on the stored
    crossfades (each capped by its neighbours again, and none after the last), and the end
    card. Rounding a crossfade down lengthens the cut, so this is what must fit."""
    stored = [t or Decimal("0") for t in _transitions(kept)]
    fades = [
        max(Decimal("0"), min(fade, a.length, b.length))
        for (a, b), fade in zip(pairwise(kept), stored[:-1], strict=True)
    ]
    return _length(kept, [*fades, Decimal("0")] if kept else [], end_card)


def played_length(full: Sequence[Piece], end_card: Decimal = Decimal("0")) -> Decimal:
    """The full cut as it plays (its items are copied as they are, crossfades as set)."""
    kept = [_Kept(n, p, p.end) for n, p in enumerate(full)]
    return _length(kept, _fades(kept), end_card)


def propose_cut(full: Sequence[Piece], *, target: int, end_card: Decimal = Decimal("0")) -> Cut:
    """A cut of at most `target` seconds (end card included), or CutImpossible."""
    if not full:
        raise CutImpossible("The ad has no items to cut from.")
    limit = Decimal(target)
    kept = [_Kept(n, p, p.end) for n, p in enumerate(full)]
    last = len(full) - 1
    # The close: the end card, or without one the last item.
    fixed = {0} if end_card or last == 0 else {0, last}
    notes: list[str] = []

    dropped = []
    for index in reversed(range(len(full))):
        if _played(kept, end_card) <= limit:
            break
        if index in fixed or full[index].keep:
            continue
        kept = [k for k in kept if k.source != index]
        dropped.append(index + 1)
    if dropped:
        numbers = ", ".join(str(n) for n in sorted(dropped))
        notes.append(f"drops item{'s' if len(dropped) > 1 else ''} {numbers}")

    # Trim from the ends: the middle from the latest back, then the close, then the hook;
    # the items marked "keep" last of all, in the same order.
    def order(k: _Kept) -> tuple[bool, int, int]:
        rank = 2 if k.source == 0 else 1 if k.source in fixed else 0
        return (k.piece.keep, rank, -k.source)

    for k in sorted(kept, key=order):
        for _ in range(ROUNDS):
            over = _played(kept, end_card) - limit
            if over <= 0 or k.length <= SHORTEST_ITEM:
                break
            k.end = max(k.piece.start + SHORTEST_ITEM, k.end - over).quantize(
                MILLISECOND, rounding=ROUND_DOWN
            )
        if k.end < k.piece.end:
            role = " (the hook)" if k.source == 0 else " (kept)" if k.piece.keep else ""
            notes.append(f"trims item {k.source + 1}{role} to {k.length:.1f} s")

    length = _played(kept, end_card)
    if length > limit:
        card = f" and the {end_card:.1f} s end card" if end_card else ""
        raise CutImpossible(
            f"A {target} s cut cannot be made: with every item it must keep trimmed to "
            f"{SHORTEST_ITEM:.0f} s, the hook{card} and the items marked keep still last "
            f"{length:.1f} s. Unmark an item{', or shorten the end card' if end_card else ''}."
        )
    items = tuple(
        CutItem(
            source=k.source,
            trim_in=k.piece.trim_in,
            trim_out=k.end if k.end < k.piece.end else k.piece.trim_out,
            transition_seconds=transition,
        )
        for k, transition in zip(kept, _transitions(kept), strict=True)
    )
    return Cut(items=items, length=length, notes=tuple(notes))


def describe(cut: Cut, count: int) -> str:
    """In a line, for the page: "12.5 s: drops items 3, 4; trims item 2 to 2.5 s"."""
    what = "; ".join(cut.notes) if cut.notes else f"keeps all {count} items"
    return f"{cut.length:.1f} s: {what}"
