"""When to ask the gateway about a job: hardly before it can plausibly be done, then often
enough that completion is noticed within seconds.

Render times are learned from finished takes of the same model and duration. They spread
roughly log-normally (about 30% around a median). The target is a p95 lag of at most 6 s: 5%
of takes may be noticed later, and the cheapest place to let them through is the start, where
a poll is paid by nearly every job (few are done yet) and later ones only by the few still
rendering. So the plan is: the first poll 5.8 s after the 3.5th percentile of past render
times (so only the 3.5% done before that percentile are seen more than 6 s late, storing the
video included), then one every 5.6 s (the lag of the rest stays under 6 s), then less often
once the job is past the 99th percentile. Without history, polls start often and thin out.

The grace is in seconds, not a percentile, because the lag target is: a percentile would let
more of the slower (longer, wider) takes through late. The 3.5th percentile, not the 5th,
because the percentile is estimated from a few hundred takes and the lag target is what users
notice. For render times spread like the gateway's, no polling plan saves 4x the calls of a
3 s poller with a p95 lag of 6 s, except with exact knowledge of the spread and right at 6 s
(`python -m bench.bound`); this plan saves about 3.9x. BENCHMARKS.md has the plans measured.
"""

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Intervals:
    """The plan's waits. The studio takes them from its settings (STUDIO_POLL_*), read at each
    call, so that the bench can run the clock faster; the comments there give the values."""

    floor: timedelta  # the shortest wait between polls: the gateway answers 304 to faster ones
    near: timedelta  # inside the likely window: the lag stays under 6 s
    first_poll_grace: timedelta  # after the 3.5th percentile, storing fits in 6 s
    early_max: timedelta  # before the window, a poll would only move queued to running
    late_max: timedelta  # past the 99th percentile, polls thin out to this
    unlearned_max: timedelta  # nothing learned yet: polls thin out to this


DEFAULT_SPREAD = 0.3  # sigma of log render time, until enough takes have finished
MIN_SAMPLES = 10  # finished takes of a model and duration before their times are trusted
Z_EARLY, Z_LATE = -1.812, 2.326  # the 3.5th and 99th percentiles of a normal distribution


@dataclass(frozen=True)
class RenderTimes:
    """Expected render time of one kind of take, in seconds."""

    median: float
    spread: float
    learned: bool

    @classmethod
    def from_samples(
        cls, seconds: list[float], *, fallback: float, peers: Iterable[list[float]] = ()
    ) -> "RenderTimes":
        """`seconds`: render times of takes like this one. `peers`: those of the model's other
        durations, which spread alike around their own medians: they make the spread, on which
        the first poll hangs, known from more takes."""
        logs = _logs(seconds)
        if len(logs) < MIN_SAMPLES:
            # A few takes could be the odd ones: one slow take would hold the next takes' first
            # poll back for minutes. Until there are more, polls come often (see poll_delay).
            return cls(median=fallback, spread=DEFAULT_SPREAD, learned=False)
        middle = statistics.median(logs)
        deviations = [value - middle for value in logs]
        for group in map(_logs, peers):
            if len(group) >= MIN_SAMPLES:
                group_middle = statistics.median(group)
                deviations += [value - group_middle for value in group]
        return cls(median=math.exp(middle), spread=_upper_spread(deviations), learned=True)

    def percentile(self, z: float) -> float:
        return self.median * math.exp(z * self.spread)

    def first_poll(self, grace: timedelta) -> float:
        """Seconds after the submit: a take done before then was most likely seen in time.
        `grace`: Intervals.first_poll_grace."""
        return self.percentile(Z_EARLY) + grace.total_seconds()


def _logs(seconds: list[float]) -> list[float]:
    return [math.log(value) for value in seconds if value > 0]


def _upper_spread(deviations: list[float]) -> float:
    """The spread (sigma) of log render times, from the takes slower than their median only.
    The faster ones include the takes done before their first poll, whose times are known only
    as "before that poll": squeezed up against it, they would make the spread look narrower
    than it is, and the first poll later than it should be. For a normal distribution the mean
    distance above the median is sigma times sqrt(2 / pi)."""
    above = [value for value in deviations if value > 0]
    if len(above) < MIN_SAMPLES // 2:
        return DEFAULT_SPREAD
    return statistics.fmean(above) * math.sqrt(math.pi / 2)


def poll_delay(
    *,
    submitted_at: datetime,
    earliest_ready_at: datetime | None,
    latest_ready_at: datetime | None,
    now: datetime,
    intervals: Intervals,
) -> timedelta:
    if earliest_ready_at is None or latest_ready_at is None:
        # Nothing learned yet: a quarter of the time run so far, kept short.
        return _clamp((now - submitted_at) / 4, intervals.floor, intervals.unlearned_max)
    if now < earliest_ready_at:
        return _clamp(earliest_ready_at - now, intervals.floor, intervals.early_max)
    if now <= latest_ready_at:
        return intervals.near
    return _clamp(intervals.near + (now - latest_ready_at) / 10, intervals.near, intervals.late_max)


def plausibly_done(earliest_ready_at: datetime | None, now: datetime) -> bool:
    """Past the first poll's percentile of render times, or nothing learned to say otherwise."""
    return earliest_ready_at is None or now >= earliest_ready_at


def _clamp(value: timedelta, low: timedelta, high: timedelta) -> timedelta:
    return max(low, min(value, high))
