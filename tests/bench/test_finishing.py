"""The finishing bench (`python -m bench.finishing`) on a tiny ad: every placement is exported
plain and finished, and the report compares the two (behaviour only, never the timings)."""

from decimal import Decimal
from pathlib import Path

from bench.finishing import Placement, make_ad, measure, report

FRAME = Decimal(1) / 24


def test_each_placement_is_timed_plain_and_finished_and_reported(tmp_path: Path):
    ad = make_ad(tmp_path, takes=2, seconds=1, trim_out=Decimal("0.5"), size=(160, 90))
    placements = [
        Placement("Wide", 160, 90, "fit"),
        Placement("Tall", 90, 160, "blur"),
        Placement("Square", 90, 90, "crop"),
        Placement("Portrait", 96, 120, "crop"),
    ]
    rows = measure(ad, tmp_path, placements, repeats=1)
    text = report(rows)

    assert [row.placement for row in rows] == placements
    for row in rows:
        assert abs(row.plain.duration - 1) <= FRAME  # two takes trimmed to 0.5 s
        assert abs(row.finished.duration - 4) <= FRAME  # and the 3 s end card
        assert row.plain.wall > 0 and row.finished.wall > 0
        assert row.plain.cpu > 0 and row.finished.cpu > 0
        assert f"| {row.placement.name} ({row.placement.fill}) |" in text
    assert "| All four |" in text and "the 50% budget" in text
