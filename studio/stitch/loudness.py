"""The ad's loudness: measured by ffmpeg's ebur128, brought to the target by one gain (no Django).

ebur128 measures what loudnorm's first pass does (BS.1770 integrated loudness and its gate, the
loudness range, the true peak) for a fifth of the work: loudnorm resamples to 192 kHz for its
whole run, and ran twice it cost a finished ad more than its captions. The second pass is then
one gain, which is all loudnorm's linear mode applies, unless that gain would lift the true peak
over the ceiling: then loudnorm's dynamic mode, given the same measurements.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from studio.stitch.export import _AUDIO_RATE, ExportError, _ffmpeg, _run
from studio.stitch.finishing import Loudness

# The meter as a filter: framelog=verbose keeps its per-frame lines out of an info-level log.
METER = "ebur128=peak=true:framelog=verbose"
# AAC's reconstruction overshoots the PCM it was given by a few tenths of a dB at the peaks, so
# the gain aims this far under the ceiling for the encoded file to stay under it.
_TRUE_PEAK_HEADROOM = Decimal("0.5")
# Loose enough that loudnorm, when the ceiling calls it in, keeps a wide ad's dynamics.
_LOUDNESS_RANGE = 20
_GATE = Decimal(-70)  # LUFS: BS.1770's absolute gate; silence measures this or -inf


@dataclass(frozen=True)
class LoudnessMeasurement:
    integrated: Decimal  # LUFS, as ebur128 measured the exported file
    true_peak: Decimal  # dBTP


@dataclass(frozen=True)
class Meter:
    """All that ebur128 reports: the measurement, and what loudnorm needs besides."""

    loudness: LoudnessMeasurement
    threshold: Decimal  # LUFS, the relative gate of the integrated loudness
    loudness_range: Decimal  # LU


def measure_loudness(
    path: Path, *, timeout: float = 300, on_progress: Callable[[int], None] | None = None
) -> LoudnessMeasurement:
    """The file's integrated loudness and true peak, by ffmpeg's ebur128 (EBU R 128 / BS.1770)."""
    log = _run(
        [
            *_ffmpeg(),
            *("-loglevel", "info", "-i", str(path), "-map", "0:a:0"),
            *("-af", METER, "-f", "null", "-"),
        ],
        expected=Decimal(1),
        on_progress=on_progress,
        timeout=timeout,
    )
    return read_meter(log).loudness


def read_meter(log: str) -> Meter:
    """The last ebur128 summary in an ffmpeg log."""
    summary = log[log.rfind("Summary:") :]
    number = r"(-?[\d.]+|-inf)"
    found = re.search(
        rf"I:\s+{number} LUFS\s+Threshold:\s+{number} LUFS.*?LRA:\s+{number} LU"
        rf".*?True peak:\s+Peak:\s+{number} dBFS",
        summary,
        re.DOTALL,
    )
    if "Summary:" not in log or found is None:
        raise ExportError("The sound's loudness could not be measured; nothing was saved.")
    integrated, threshold, lra, peak = (_decibels(value) for value in found.groups())
    return Meter(LoudnessMeasurement(integrated, peak), threshold, lra)


def normalise(target: Loudness, measured: Meter) -> str:
    """The second pass's filters: the gain to the target, loudnorm's dynamic mode if the gain
    would break the ceiling, or none for silence (which no gain can bring to a target)."""
    resample = f"aresample={_AUDIO_RATE}"
    loudness = measured.loudness
    if loudness.integrated <= _GATE:
        return resample
    ceiling = max(Decimal(-9), Decimal(target.true_peak) - _TRUE_PEAK_HEADROOM)
    gain = Decimal(target.integrated) - loudness.integrated
    if loudness.true_peak + gain <= ceiling:
        return f"volume={gain:f}dB,{resample}"
    return (
        f"loudnorm=I={Decimal(target.integrated)}:TP={ceiling}:LRA={_LOUDNESS_RANGE}"
        f":measured_I={loudness.integrated}:measured_TP={loudness.true_peak}"
        f":measured_LRA={measured.loudness_range}:measured_thresh={measured.threshold}"
        f":linear=true,{resample}"
    )


def _decibels(text: str) -> Decimal:
    # Silence measures -inf (or -70, the gate): reported as the gate, a number a manifest takes.
    return _GATE if text == "-inf" else max(_GATE, Decimal(text))
