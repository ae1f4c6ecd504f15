"""How much the stream-copy path saves: `python -m bench.export`.

Twelve matching 5 s 1280x720 takes (the simulator's renders) joined three ways: stitch()'s stream
copy, stitch() forced to re-encode, and a plain copy of a file as big as all the inputs together
(the floor: what moving the bytes costs). Rendering the takes is not timed. Then what finishing
adds to a re-encode in the four placements (bench/finishing.py).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from bench import finishing
from devtools.simulator.video import VideoRenderer
from studio.media_probe import probe_video
from studio.stitch.export import ExportResult, Segment, stitch

CLIPS = 12
SECONDS = 5
WIDTH, HEIGHT = 1280, 720


def bench_export(*, repeats: int = 3) -> None:
    with tempfile.TemporaryDirectory(prefix="stitch-bench-") as scratch:
        folder = Path(scratch)
        paths = _render_takes(folder)
        expected = sum((probe_video(path).duration for path in paths), Decimal(0))
        segments = [Segment(path) for path in paths]
        joined = folder / "joined.bin"
        with joined.open("wb") as out:
            for path in paths:
                out.write(path.read_bytes())

        raw = _best(repeats, lambda: shutil.copyfile(joined, folder / "raw-copy.bin"))
        copied: list[ExportResult] = []
        copy = _best(
            repeats,
            lambda: copied.append(
                stitch(segments, folder / "copy.mp4", width=WIDTH, height=HEIGHT)
            ),
        )
        progress: list[int] = []
        encoded: list[ExportResult] = []
        started = time.perf_counter()
        encoded.append(
            stitch(
                segments,
                folder / "reencode.mp4",
                width=WIDTH,
                height=HEIGHT,
                force_reencode=True,
                on_progress=progress.append,
            )
        )
        reencode = time.perf_counter() - started

        size_mb = joined.stat().st_size / 1e6
        print(
            f"{CLIPS} takes x {SECONDS} s at {WIDTH}x{HEIGHT}, {size_mb:.1f} MB, sum {expected} s"
        )
        print(f"raw file copy     {raw * 1000:9.1f} ms  (best of {repeats})")
        print(f"stitch copy       {copy * 1000:9.1f} ms  (best of {repeats})  {_error(copied)}")
        print(f"stitch reencode   {reencode * 1000:9.1f} ms  (once)        {_error(encoded)}")
        print(f"copy / raw        {copy / raw:9.1f} x")
        print(f"reencode / copy   {reencode / copy:9.1f} x")
        print(f"reencode / raw    {reencode / raw:9.1f} x")
        print(f"reencode speed    {float(expected) / reencode:9.1f} x real time")
        print(f"progress calls    {progress}")


def _render_takes(folder: Path) -> list[Path]:
    renderer = VideoRenderer(folder)
    try:
        futures = [
            renderer.render(prompt=f"Bench take {n}", duration=SECONDS, width=WIDTH, height=HEIGHT)
            for n in range(1, CLIPS + 1)
        ]
        return [future.result() for future in futures]
    finally:
        renderer.close()


def _best(repeats: int, action: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return min(timings)


def _error(results: list[ExportResult]) -> str:
    result = results[-1]
    error = result.duration - result.expected_duration
    return f"method={result.method} duration={result.duration} s error={error:+} s"


if __name__ == "__main__":
    bench_export()
    print()
    finishing.main([])
