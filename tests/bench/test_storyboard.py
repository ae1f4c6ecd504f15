"""The storyboard bench (`python -m bench.storyboard`) on a tiny world: every target is
measured over real HTTP and reported with its query count and its ratio to the minimal view."""

import asyncio
import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.storyboard.load import (
    LIST_EDITOR,
    LIST_VIEWER,
    LIVE,
    LIVE_CHANGING,
    MINIMAL,
    PAGE_EDITOR,
    PAGE_EDITOR_CHANGED,
    PAGE_VIEWER,
    run_targets,
)
from bench.storyboard.report import checks, render, summarise
from bench.storyboard.serve import serving
from bench.storyboard.world import build_world

# The bench serves the studio from threads of its own: they see only committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def test_report_has_every_target_with_query_counts_and_ratios(veo):
    world = build_world(shots=3, takes=1, members=3)
    with serving() as base_url:
        targets = run_targets(world, base_url, requests=2, polls=2, interval=0.05, change_every=2)
        # A loop of its own in a thread of its own: in a full run, the browser tests' Playwright
        # keeps an event loop running in this thread, and asyncio.run() refuses to nest.
        with ThreadPoolExecutor(max_workers=1) as thread:
            samples = thread.submit(asyncio.run, targets).result()
    rows = summarise(samples)
    results = checks(world, samples)
    report = render(rows, results)

    live_loads = ["3 members, every 0.05 s", "3 members, back-to-back"]
    one = "1 member, one after another"
    assert [(row.name, row.load) for row in rows] == [
        (PAGE_VIEWER, one),
        (PAGE_EDITOR, one),
        (LIST_VIEWER, one),
        (LIST_EDITOR, one),
        (MINIMAL, one),
        *[(LIVE, load) for load in live_loads],
        *[(LIVE_CHANGING, load) for load in live_loads],
        *[(MINIMAL, load) for load in live_loads],
        (PAGE_EDITOR_CHANGED, one),
    ]
    assert all(ok for _, ok in results), report
    assert all(sample.edits for sample in samples if sample.name == LIVE_CHANGING)
    for row in rows:
        assert f"| {row.name} | {row.load} |" in report
        assert row.requests == (2 if "one after another" in row.load else 3 * 2)
        assert row.median_ratio > 0 and row.p95_ratio > 0
    # Counted on the serving thread: the minimal view touches no table, the studio's do.
    for row in rows:
        if row.name == MINIMAL:
            assert row.queries == (0, 0)
        else:
            assert row.queries[0] > 0
    assert "FAIL" not in report
    # Pages gzipped on the wire, and the targets judged (met or over: timings are a machine's).
    pages = [row for row in rows if row.name in (PAGE_EDITOR, LIST_EDITOR)]
    assert all(0 < row.wire_kilobytes < row.kilobytes for row in pages)
    assert "KB on the wire (at most 300)" in report and "the minimal view's (at most 15x)" in report


def test_the_bench_keeps_its_cache_and_queue_in_a_redis_of_its_own(monkeypatch):
    """Never the machine's Redis: its keys would outlive the run, and the next run's storyboard,
    with the same primary key, was drawn from them (its quiet live round carried every shot)."""
    from bench.storyboard.run import prepare

    monkeypatch.setattr(os, "environ", dict(os.environ))
    workdir = prepare(None, "redis://127.0.0.1:50123/0")
    try:
        assert os.environ["STUDIO_CACHE_REDIS_URL"] == "redis://127.0.0.1:50123/2"
        assert os.environ["CELERY_BROKER_URL"] == "redis://127.0.0.1:50123/0"
        assert os.environ["STUDIO_BUDGET_REDIS_URL"] == "redis://127.0.0.1:50123/1"
    finally:
        shutil.rmtree(workdir)
