"""The storyboard bench's table and the checks that prove it measured the real thing."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from bench.storyboard.load import LIVE, LIVE_CHANGING, MINIMAL, PAGE_EDITOR, PAGE_VIEWER, Sample
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
    kilobytes: float  # per answer, on average
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
                shots_per_answer=statistics.mean(sample.shot_cards),
                median_ratio=median / statistics.median(floor.seconds),
                p95_ratio=high / p95(floor.seconds),
            )
        )
    return rows


def checks(world: World, samples: list[Sample]) -> list[tuple[str, bool]]:
    """What must hold whatever the timings: the bench's proof that it measured the real thing."""
    pages = [sample for sample in samples if sample.name in (PAGE_VIEWER, PAGE_EDITOR)]
    quiet = [sample for sample in samples if sample.name == LIVE]
    changing = [sample for sample in samples if sample.name == LIVE_CHANGING]
    cards = world.shots, world.shots * world.takes
    return [
        (
            "every answer was 200",
            all(status == 200 for sample in samples for status in sample.statuses),
        ),
        (
            f"every page had {cards[0]} shot cards and {cards[1]} take cards",
            all(
                set(zip(page.shot_cards, page.take_cards, strict=True)) == {cards} for page in pages
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


def render(rows: list[Row], results: list[tuple[str, bool]]) -> str:
    lines = [
        "| target | load | requests | median | p95 | req/s | queries/request | KB/answer"
        " | shots/answer | median vs minimal | p95 vs minimal |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        fewest, most = row.queries
        queries = f"{fewest}" if fewest == most else f"{fewest}-{most}"
        lines.append(
            f"| {row.name} | {row.load} | {row.requests} | {row.median_ms:.1f} ms"
            f" | {row.p95_ms:.1f} ms | {row.per_second:.1f} | {queries} | {row.kilobytes:,.1f}"
            f" | {row.shots_per_answer:.1f} | {row.median_ratio:.1f}x | {row.p95_ratio:.1f}x |"
        )
    lines.append("")
    lines += [f"{'ok  ' if ok else 'FAIL'} {label}" for label, ok in results]
    return "\n".join(lines)
