"""What finishing costs: `python -m bench.finishing` (also run by `python -m bench.export`).

A 30 s ad: six 4.5 s takes (the simulator's 1280x720 renders, trimmed from 5 s) with a caption
each, a 3 s end card and a music bed, finished in the four placements; against a plain re-encode
(stitch forced to re-encode) of the same takes, trimmed and framed alike, to the same four sizes:
the work that no finishing can avoid. Each placement's pair runs back to back in the same run,
best of `--repeats`, so a busy machine weighs on both. Rendering the inputs is not timed.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

import imageio_ffmpeg

from devtools.simulator.video import VideoRenderer
from studio.stitch import (
    Caption,
    EndCard,
    Finishing,
    Framing,
    ItemFinish,
    MusicBed,
    Segment,
    TextStyle,
    finish,
    stitch,
)

FONT = Path(__file__).resolve().parents[1] / "static" / "fonts" / "inter" / "Inter_400Regular.ttf"
BUDGET = 0.5  # finishing may add at most half the plain re-encode's time (issue 13)


@dataclass(frozen=True)
class Placement:
    name: str
    width: int
    height: int
    fill: Literal["fit", "crop", "blur"]


PLACEMENTS = (
    Placement("YouTube 16:9", 1920, 1080, "fit"),
    Placement("Reels 9:16", 1080, 1920, "blur"),
    Placement("Feed 1:1", 1080, 1080, "crop"),
    Placement("Feed 4:5", 1080, 1350, "crop"),
)


@dataclass(frozen=True)
class Ad:
    takes: tuple[Path, ...]
    trim_out: Decimal
    music: Path
    end_card: Decimal  # seconds

    def segments(self, fill: Literal["fit", "crop", "blur"]) -> list[Segment]:
        return [Segment(take, trim_out=self.trim_out, framing=Framing(fill)) for take in self.takes]

    def finishing(self) -> Finishing:
        style = TextStyle(font=FONT)
        return Finishing(
            items=tuple(
                ItemFinish(caption=Caption(f"Fresh lemonade, take {number}, squeezed today"))
                for number in range(1, len(self.takes) + 1)
            ),
            caption_style=style,
            end_card=EndCard(
                "Try it today", "example.com", "#FFCC00", "#000000", FONT, length=self.end_card
            ),
            music=MusicBed(self.music),
        )


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds
    cpu: float  # seconds of ffmpeg's user + system time: what a busy machine leaves unchanged
    duration: Decimal  # of the exported file


@dataclass(frozen=True)
class Row:
    placement: Placement
    plain: Timing  # the re-encode without finishing
    finished: Timing

    def added(self, measure: Callable[[Timing], float]) -> float:
        return measure(self.finished) / measure(self.plain) - 1


def make_ad(
    folder: Path,
    *,
    takes: int = 6,
    seconds: int = 5,
    trim_out: Decimal = Decimal("4.5"),
    size: tuple[int, int] = (1280, 720),
    end_card: Decimal = Decimal(3),
) -> Ad:
    """The takes (the simulator's renders) and a music bed shorter than the ad, so it loops."""
    renderer = VideoRenderer(folder)
    try:
        futures = [
            renderer.render(
                prompt=f"Finishing bench take {n}", duration=seconds, width=size[0], height=size[1]
            )
            for n in range(1, takes + 1)
        ]
        paths = tuple(future.result() for future in futures)
    finally:
        renderer.close()
    music = folder / "music.m4a"
    chord = "aevalsrc=0.3*sin(2*PI*220*t)+0.2*sin(2*PI*277*t)+0.2*sin(2*PI*330*t):s=44100:d=20"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            *("-hide_banner", "-loglevel", "error", "-nostdin", "-y"),
            *("-f", "lavfi", "-i", chord, "-c:a", "aac", str(music)),
        ],
        check=True,
        timeout=60,
    )
    return Ad(paths, trim_out, music, end_card)


def measure(
    ad: Ad, folder: Path, placements: Sequence[Placement] = PLACEMENTS, *, repeats: int = 1
) -> list[Row]:
    """Each placement plain then finished, `repeats` times in turn; the best of each."""
    rows = []
    for placement in placements:
        width, height = placement.width, placement.height
        segments = ad.segments(placement.fill)
        stem = placement.name.replace(" ", "-").replace(":", "x")
        plain, finished = [], []
        for _ in range(repeats):
            started = _clocks()
            plain_dest = folder / f"{stem}-plain.mp4"
            result = stitch(segments, plain_dest, width=width, height=height, force_reencode=True)
            plain.append(_since(started, result.duration))
            started = _clocks()
            finished_dest = folder / f"{stem}-finished.mp4"
            done = finish(segments, ad.finishing(), finished_dest, width=width, height=height)
            finished.append(_since(started, done.duration))
        rows.append(Row(placement, _best(plain), _best(finished)))
    return rows


def report(rows: Sequence[Row]) -> str:
    lines = [
        "| Placement | Size | Plain re-encode | Finished | Finishing adds (wall, CPU) |",
        "|---|---|---:|---:|---:|",
    ]
    for row in rows:
        p, plain, finished = row.placement, row.plain, row.finished
        lines.append(
            f"| {p.name} ({p.fill}) | {p.width}x{p.height} | {plain.wall:.2f} s, CPU "
            f"{plain.cpu:.2f} s ({plain.duration} s) | {finished.wall:.2f} s, CPU "
            f"{finished.cpu:.2f} s ({finished.duration} s) | "
            f"{row.added(_wall):+.0%}, {row.added(_cpu):+.0%} |"
        )
    totals = []
    for measure in (_wall, _cpu):
        before = sum(measure(row.plain) for row in rows)
        after = sum(measure(row.finished) for row in rows)
        totals.append((before, after, after / before - 1))
    (plain_wall, finished_wall, wall), (plain_cpu, finished_cpu, cpu) = totals
    verdict = "within" if max(wall, cpu) <= BUDGET else "over"
    lines.append(
        f"| All four | | {plain_wall:.2f} s, CPU {plain_cpu:.2f} s | {finished_wall:.2f} s, "
        f"CPU {finished_cpu:.2f} s | {wall:+.0%}, {cpu:+.0%} ({verdict} the {BUDGET:.0%} budget) |"
    )
    return "\n".join(lines)


def _wall(timing: Timing) -> float:
    return timing.wall


def _cpu(timing: Timing) -> float:
    return timing.cpu


def _clocks() -> tuple[float, float]:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter(), children.ru_utime + children.ru_stime


def _since(started: tuple[float, float], duration: Decimal) -> Timing:
    wall, cpu = _clocks()
    return Timing(wall - started[0], cpu - started[1], duration)


def _best(timings: Sequence[Timing]) -> Timing:
    return min(timings, key=_wall)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.finishing", description=__doc__)
    parser.add_argument("--repeats", type=int, default=2, help="best of this many, each")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="finishing-bench-") as scratch:
        folder = Path(scratch)
        ad = make_ad(folder)
        print(report(measure(ad, folder, repeats=args.repeats)))


if __name__ == "__main__":
    main()
