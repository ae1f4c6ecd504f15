"""The storyboard bench's table and the checks that prove it measured the real thing."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from bench.storyboard.load import (
    LIST_EDITOR,
    LIST_VIEWER,
    LISTS,
    LIVE,
    LIVE_CHANGING,
    MINIMAL,
    PAGE_EDITOR,
    PAGE_VIEWER,
    PAGES,
    Sample,
)
from bench.storyboard.world import World


@dataclass
class Row:
    name: str
    load: str
    requests: int
    median_ms: float
    p95_ms: float
    per_second: float
    queries: tuple[int, int]  # fewest and most per request
    kilobytes: float  # per answer, on average, uncompressed
    wire_kilobytes: float  # per answer, on average, as sent
    shots_per_answer: float
    median_ratio: float
    p95_ratio: float


def p95(values: list[float]) -> float:
    """Nearest rank: a time that one request in twenty took or exceeded."""
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def summarise(samples: list[Sample]) -> list[Row]:
    """Each target's figures, with its times against the minimal view's under the same load."""
    floors = {sample.load: sample for sample in samples if sample.name == MINIMAL}
    rows = []
    for sample in samples:
        floor = floors[sample.load]
        median, high = statistics.median(sample.seconds), p95(sample.seconds)
        rows.append(
            Row(
                name=sample.name,
                load=sample.load,
                requests=len(sample.seconds),
                median_ms=median * 1000,
                p95_ms=high * 1000,
                per_second=len(sample.seconds) / sample.wall,
                queries=(min(sample.queries), max(sample.queries)),
                kilobytes=statistics.mean(sample.sizes) / 1000,
                wire_kilobytes=statistics.mean(sample.wire_sizes) / 1000,
                # The board draws a shot as a frame; the list and the live answers as a card.
                shots_per_answer=statistics.mean(
                    sample.frames if sample.name in PAGES else sample.shot_cards
                ),
                median_ratio=median / statistics.median(floor.seconds),
                p95_ratio=high / p95(floor.seconds),
            )
        )
    return rows


def checks(world: World, samples: list[Sample]) -> list[tuple[str, bool]]:
    """What must hold whatever the timings: the bench's proof that it measured the real thing."""
    boards = [sample for sample in samples if sample.name in PAGES]
    lists = [sample for sample in samples if sample.name in LISTS]
    quiet = [sample for sample in samples if sample.name == LIVE]
    changing = [sample for sample in samples if sample.name == LIVE_CHANGING]
    cards = world.shots, world.shots * world.takes
    return [
        (
            "every answer was 200",
            all(status == 200 for sample in samples for status in sample.statuses),
        ),
        (
            f"every page (the board) had {world.shots} frames",
            all(set(page.frames) == {world.shots} for page in boards),
        ),
        (
            f"every list had {cards[0]} shot cards and {cards[1]} take cards",
            all(
                set(zip(page.shot_cards, page.take_cards, strict=True)) == {cards} for page in lists
            ),
        ),
        (
            "every live answer carried the next token",
            all(sample.tokens == len(sample.statuses) for sample in quiet + changing),
        ),
        (
            "with nothing changing, no live answer carried a shot",
            not any(any(sample.shot_cards) for sample in quiet),
        ),
        (
            f"with shots edited ({sum(sample.edits for sample in changing)} saves),"
            " live answers carried them",
            all(any(sample.shot_cards) for sample in changing if sample.edits),
        ),
    ]


# Issue 15's targets for the page as a member opens it: bytes on the wire for an editor, and
# the median time against the minimal view's in the same run.
WIRE_KB = 300
RATIOS = {PAGE_EDITOR: 25, PAGE_VIEWER: 15}
LIST_RATIOS = {LIST_EDITOR: 25, LIST_VIEWER: 15}


def targets(rows: list[Row]) -> list[tuple[str, bool]]:
    """Each target met or over, for the page (the board) and, for comparison, the list."""
    pages = {row.name: row for row in rows if row.name in (*PAGES, *LISTS)}
    lines = []
    for editor, ratios in ((PAGE_EDITOR, RATIOS), (LIST_EDITOR, LIST_RATIOS)):
        wire = pages[editor].wire_kilobytes
        lines.append((f"{editor}: {wire:,.1f} KB on the wire (at most {WIRE_KB})", wire <= WIRE_KB))
        for name, most in ratios.items():
            ratio = pages[name].median_ratio
            lines.append(
                (f"{name}: median {ratio:.1f}x the minimal view's (at most {most}x)", ratio <= most)
            )
    same = all(row.queries[0] == row.queries[1] for row in pages.values())
    lines.append(("every page and list load ran the same number of queries", same))
    return lines


def render(rows: list[Row], results: list[tuple[str, bool]]) -> str:
    lines = [
        "| target | load | requests | median | p95 | req/s | queries/request | KB/answer (wire)"
        " | KB/answer (uncompressed) | shots/answer | median vs minimal | p95 vs minimal |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        fewest, most = row.queries
        queries = f"{fewest}" if fewest == most else f"{fewest}-{most}"
        lines.append(
            f"| {row.name} | {row.load} | {row.requests} | {row.median_ms:.1f} ms"
            f" | {row.p95_ms:.1f} ms | {row.per_second:.1f} | {queries}"
            f" | {row.wire_kilobytes:,.1f} | {row.kilobytes:,.1f}"
            f" | {row.shots_per_answer:.1f} | {row.median_ratio:.1f}x | {row.p95_ratio:.1f}x |"
        )
    lines.append("")
    lines += [f"{'ok  ' if ok else 'FAIL'} {label}" for label, ok in results]
    lines.append("")
    lines += [f"{'ok  ' if ok else 'over'} {label}" for label, ok in targets(rows)]
    return "\n".join(lines)
