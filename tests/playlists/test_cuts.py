"""Shorter cuts proposed from the full one (studio/playlists/cuts.py): pure, no database."""

import random
from decimal import Decimal as D

import pytest

from studio.generation.models import Take
from studio.playlists import timeline
from studio.playlists.cuts import (
    CutImpossible,
    Piece,
    describe,
    pieces,
    played_length,
    propose_cut,
)
from studio.playlists.models import PlaylistItem


def piece(length, *, keep=False, crossfade="0", start="0") -> Piece:
    start_at = D(start)
    return Piece(start=start_at, end=start_at + D(length), crossfade=D(crossfade), keep=keep)


def test_a_cut_that_already_fits_keeps_everything_as_it_was():
    full = [piece(4), piece(4), piece(4)]
    cut = propose_cut(full, target=15)
    assert [i.source for i in cut.items] == [0, 1, 2]
    assert all(i.trim_out is None for i in cut.items)
    assert cut.length == 12 and cut.notes == ()
    assert describe(cut, 3) == "12.0 s: keeps all 3 items"


def test_middle_items_are_dropped_from_the_latest_back_keeping_hook_and_end_card():
    full = [piece(4), piece(4), piece(4), piece(4), piece(4)]  # 20 s and a 2 s end card
    cut = propose_cut(full, target=15, end_card=D(2))
    # 22 s: drop item 5 (18 s), item 4 (14 s): fits.
    assert [i.source for i in cut.items] == [0, 1, 2]
    assert cut.length == 14
    assert cut.notes == ("drops items 4, 5",)


def test_without_an_end_card_the_last_item_is_the_close_and_stays():
    full = [piece(4), piece(4), piece(4), piece(4), piece(4)]
    cut = propose_cut(full, target=15)
    # 20 s: drop item 4 (16 s), item 3 (12 s); dropping comes before any trim.
    assert [i.source for i in cut.items] == [0, 1, 4]
    assert cut.length == 12


def test_items_marked_keep_are_not_dropped():
    full = [piece(4), piece(4), piece(4, keep=True), piece(4), piece(4)]
    cut = propose_cut(full, target=15, end_card=D(2))
    assert [i.source for i in cut.items] == [0, 1, 2]  # 4 and 5 dropped, 3 kept
    full = [piece(4), piece(4), piece(4), piece(4, keep=True)]
    cut = propose_cut(full, target=10, end_card=D(2))
    assert [i.source for i in cut.items] == [0, 3]
    assert cut.length == 10


def test_still_too_long_the_unmarked_items_are_trimmed_from_their_ends_before_marked_ones():
    full = [piece(4, start="0.5"), piece(4, keep=True)]  # 8 s and a 2 s end card
    cut = propose_cut(full, target=6, end_card=D(2))
    hook, kept = cut.items
    # 10 s to 6: the hook gives 3 s (down to 1 s), the kept item the last second.
    assert hook.trim_in is None and hook.trim_out == D("1.5")  # from its end: 0.5 to 1.5
    assert kept.trim_out == D(3)
    assert cut.length == 6
    assert cut.notes == ("trims item 1 (the hook) to 1.0 s", "trims item 2 (kept) to 3.0 s")


def test_a_bumper_with_a_long_hook_trims_the_hook():
    full = [piece(5), piece(3), piece(3)]
    cut = propose_cut(full, target=6, end_card=D(2))
    assert [i.source for i in cut.items] == [0]
    assert cut.items[0].trim_out == D(4)
    assert cut.length == 6
    assert describe(cut, 3) == "6.0 s: drops items 2, 3; trims item 1 (the hook) to 4.0 s"


def test_crossfades_count_and_a_capped_one_stays_within_its_neighbours():
    full = [piece(4, crossfade="1"), piece(4, crossfade="1.5"), piece(4)]
    assert played_length(full) == D("9.5")
    cut = propose_cut(full, target=6)  # hook and close: 8 s less 1 s fade = 7 s, trim 1 s
    assert [i.source for i in cut.items] == [0, 2]
    assert cut.length == 6
    assert cut.items[0].transition_seconds == D("1.00")  # the hook's fade, into the close
    assert cut.items[-1].transition_seconds is None


def test_a_target_that_cannot_be_met_says_why():
    full = [piece(4), piece(4, keep=True), piece(4, keep=True), piece(4, keep=True)]
    with pytest.raises(CutImpossible, match=r"A 6 s cut cannot be made.*5\.0 s end card"):
        propose_cut(full, target=6, end_card=D(5))
    with pytest.raises(CutImpossible, match="no items"):
        propose_cut([], target=6)


def test_an_item_already_shorter_than_a_second_is_left_alone():
    full = [piece("0.5"), piece(8)]
    cut = propose_cut(full, target=6)
    assert cut.items[0].trim_out is None
    assert cut.items[1].trim_out == D("5.5")


def stored(full_items, cut) -> list:
    """The cut's items as deliverables_make stores them (unsaved: no database)."""
    return [
        PlaylistItem(
            take=full_items[i.source].take,
            position=n,
            trim_in=i.trim_in,
            trim_out=i.trim_out,
            transition="crossfade" if i.transition_seconds is not None else "cut",
            transition_seconds=i.transition_seconds,
        )
        for n, i in enumerate(cut.items, start=1)
    ]


def random_items(rng: random.Random) -> list:
    items = []
    for n in range(1, rng.randint(1, 7) + 1):
        take = Take(duration=8, video_duration=D(rng.randint(300, 8000)) / 1000)
        trim_in = D(rng.randint(1, 1500)) / 1000 if rng.random() < 0.3 else None
        trim_out = None
        if rng.random() < 0.3:
            trim_out = max((trim_in or D(0)) + D("0.1"), take.video_duration - D("0.25"))
            trim_out = min(trim_out, take.video_duration)
        if trim_in is not None and trim_in >= (trim_out or take.video_duration):
            trim_in = None
        fade = D(rng.randint(20, 200)) / 100 if rng.random() < 0.6 else None
        items.append(
            PlaylistItem(
                take=take,
                position=n,
                trim_in=trim_in,
                trim_out=trim_out,
                transition="crossfade" if fade is not None else "cut",
                transition_seconds=fade,
                keep=rng.random() < 0.15,
            )
        )
    return items


def test_every_proposed_cut_plays_within_its_target_as_stored():
    """Replayed as the preview and the export play it (timeline.played_length on the items as
    stored: crossfades rounded down to 0.01 s, too short ones made cuts), a cut never runs
    past its target, and its stated length is what plays."""
    rng = random.Random(20261127)
    proposed = 0
    for _ in range(3000):
        items = random_items(rng)
        end_card = rng.choice([D(0), D(0), D("1.5"), D(2), D("2.5")])
        for target in (15, 6):
            try:
                cut = propose_cut(pieces(items), target=target, end_card=end_card)
            except CutImpossible:
                continue
            proposed += 1
            played = timeline.played_length(stored(items, cut)) + end_card
            assert played <= target, (target, end_card, [(i.start, i.end) for i in items])
            assert played == cut.length
    assert proposed > 2000  # most are made: the property is not checked on a handful
