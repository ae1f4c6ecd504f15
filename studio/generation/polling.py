"""When to ask the gateway about a job: hardly before it can plausibly be done, then often
enough that completion is noticed within seconds.

Render times are learned from finished takes of the same model and duration. They spread
roughly log-normally (about 30% around a median). The target is a p95 lag of at most 6 s: 5%
of takes may be noticed later, and the cheapest place to let them through is the start, where
a poll is paid by nearly every job (few are done yet) and later ones only by the few still
rendering. So the plan is: no poll before the 6th percentile of past render times (a take done
in the last 5 s before that poll is still seen in time), then one every 5.3 s (so the lag of the
rest, storing the video included, stays under 6 s), then less often once the job is past the
99th percentile. Without history, polls start often and thin out. The plan sits on the edge of
both targets (4x fewer calls than a 3 s poller, p95 lag 6 s): a later first poll or a longer
interval saves calls but lets more than 5% through late. BENCHMARKS.md has the plans measured.
"""

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_INTERVAL = timedelta(seconds=3)  # the gateway answers 304 to faster polls
NEAR_INTERVAL = timedelta(seconds=5.3)  # inside the likely window: the lag stays under 6 s
EARLY_INTERVAL = timedelta(minutes=5)  # before it, a poll would only move queued to running
MAX_INTERVAL = timedelta(seconds=20)
UNLEARNED_MAX_INTERVAL = timedelta(seconds=8)
DEFAULT_SPREAD = 0.3  # sigma of log render time, until enough takes have finished
MIN_SAMPLES = 5
Z_EARLY, Z_LATE = -1.555, 2.326  # the 6th and 99th percentiles of a normal distribution


@dataclass(frozen=True)
class RenderTimes:
    """Expected render time of one kind of take, in seconds."""

    median: float
    spread: float
    learned: bool

    @classmethod
    def from_samples(cls, seconds: list[float], *, fallback: float) -> "RenderTimes":
        positive = [s for s in seconds if s > 0]
        if not positive:
            return cls(median=fallback, spread=DEFAULT_SPREAD, learned=False)
        logs = [math.log(s) for s in positive]
        spread = statistics.stdev(logs) if len(logs) >= MIN_SAMPLES else DEFAULT_SPREAD
        return cls(median=math.exp(statistics.median(logs)), spread=spread, learned=True)

    def percentile(self, z: float) -> float:
        return self.median * math.exp(z * self.spread)


def poll_delay(
    *,
    submitted_at: datetime,
    earliest_ready_at: datetime | None,
    latest_ready_at: datetime | None,
    now: datetime,
) -> timedelta:
    if earliest_ready_at is None or latest_ready_at is None:
        # Nothing learned yet: a quarter of the time run so far, kept short.
        return _clamp((now - submitted_at) / 4, MIN_INTERVAL, UNLEARNED_MAX_INTERVAL)
    if now < earliest_ready_at:
        return _clamp(earliest_ready_at - now, MIN_INTERVAL, EARLY_INTERVAL)
    if now <= latest_ready_at:
        return NEAR_INTERVAL
    return _clamp(NEAR_INTERVAL + (now - latest_ready_at) / 10, NEAR_INTERVAL, MAX_INTERVAL)


def plausibly_done(earliest_ready_at: datetime | None, now: datetime) -> bool:
    """Past the first poll's percentile of render times, or nothing learned to say otherwise."""
    return earliest_ready_at is None or now >= earliest_ready_at


def _clamp(value: timedelta, low: timedelta, high: timedelta) -> timedelta:
    return max(low, min(value, high))
