"""When to ask the gateway about a job: hardly before it can plausibly be done, then often
enough that completion is noticed within seconds.

Render times are learned from finished takes of the same model and duration, by maximum
likelihood from what polling saw of them (render_fit.py says why not from points). They spread
roughly log-normally (about 30% around a median). The target is a p95 lag of at most 6 s: 5%
of takes may be noticed later, and the cheapest place to let them through is the start, where
a poll is paid by nearly every job (few are done yet) and later ones only by the few still
rendering. So the plan is: the first poll 5.2 s after the 3.5th percentile of past render
times (so only the 3.5% done before that percentile are seen more than 6 s late), then one
every 5 s, then less often once the job is past the 99th percentile. Without history, polls
start often and thin out. The lag runs until the video is stored, and a poll may start late: the
plan leaves a second for both (0.8 s after the first poll). A running worker's polls in the bench
start 0.1 to 0.25 s late and store in 0.15 to 0.2 s; a real video's download takes longer. With
5.6 s and 5.8 s, which left 0.4 and 0.2 s, six of ten live runs went over 6 s.

The grace is in seconds, not a percentile, because the lag target is: a percentile would let
more of the slower (longer, wider) takes through late. The 3.5th percentile, not the 5th,
because the takes a user watches are a sample too: with the 5th exactly, half of all samples
would have more than 5% done before it. The percentile's own error, which shrinks as more takes
finish, moves the first poll earlier still (Z_MARGIN), and the studio watches the lag it gets
(RenderTimes.lag_p95) and polls sooner while it is over the target.

For render times spread like the gateway's, no polling plan saves 4x the calls of a 3 s poller
with a p95 lag of 6 s, except with exact knowledge of the spread and right at 6 s; and 3.6x
with the p95 held on each of ten runs of 400 is at the edge of what a plan that learns its
percentile from a sample can do (3.52x to 3.63x for 0.25 to 0.45 s of storing and late start,
with 90% confidence; `python -m bench.bound`). This plan saves 3.51x on a running worker (ten
live runs, p95 5.38 to 5.75 s), 3.3x replayed with nothing late and 3.47x with polls 0.3 s late
on average. BENCHMARKS.md has the plans measured.
"""

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import render_fit


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


DEFAULT_SPREAD = 0.3  # sigma of log render times, until enough takes have finished
MIN_SAMPLES = 10  # finished takes of a model and duration before their times are trusted
Z_EARLY, Z_LATE = -1.812, 2.326  # the 3.5th and 99th percentiles of a normal distribution
# The first poll's percentile is learned from a sample, so it is off by about its standard
# error: the first poll comes this many standard errors earlier (a one-sided 77% allowance).
# Replayed on the bench's ten samples (python -m bench.replay), each run on render times its
# warm-up did not draw, with polls 0.3 s late on average and 0.2 s to store: 0.75 keeps the p95
# lag within 5.79 s on every one at 3.47x fewer calls than a 3 s poller; 1.5 with a 5.3 s wait,
# 5.94 s at 3.54x. (Chosen first in sample, with the 5.6 s wait: 1 gave 3.59x, 0.5 let seed 7
# reach 5.94 s, none 6.48 s.)
Z_MARGIN = 0.75
LAG_TARGET = 6.0  # seconds: the p95 lag the plan is made for (real time; the bench's is its own)
# When the recent p95 lag (gateway finish to completed, RenderTimes.learn) drifts over the
# target, the first poll's grace shrinks by the ratio, down to this share of itself: the plan
# spends its 5% late takes before the first poll, so that is where it takes them back.
MIN_GRACE_SHARE = 0.5
# Planned takes of a model and duration before their p95 lag is watched: of fewer, the few
# done before their first poll make it.
MIN_LAG_SAMPLES = 100


@dataclass(frozen=True)
class RenderTimes:
    """Expected render time of one kind of take, in seconds. `margin`: the standard error of
    the first poll's log-percentile (0 when known exactly); `lag_p95`: the recent p95 lag of
    such takes, as far as the studio can tell (None when too few)."""

    median: float
    spread: float
    learned: bool
    margin: float = 0.0
    lag_p95: float | None = None

    @classmethod
    def learn(
        cls,
        own: list[render_fit.Observation],
        *,
        fallback: float,
        peers: Iterable[list[render_fit.Observation]] = (),
        planned: Sequence[tuple[render_fit.Observation, float]] = (),
    ) -> "RenderTimes":
        """`own`: what polling saw of finished takes like this one. `peers`: of the model's
        other durations, which spread alike around their own medians: they make the spread,
        on which the first poll hangs, known from more takes. `planned`: the own takes polled
        on a learned plan, each as polling saw it and the seconds after its submit when the
        studio had it completed; the p95 of their lags is read off the fitted distribution
        inside each take's interval (render_fit.lag_percentile), as learned now, not as the
        plan each was polled on had it: a plan whose fast tail was too thin put the finish of
        a take done before its first poll just before that poll, and would never see its own
        lag grow."""
        unlearned = cls(median=fallback, spread=DEFAULT_SPREAD, learned=False)
        groups = [[obs for obs in group if obs.high > 0] for group in (own, *peers)]
        if sum(1 for obs in groups[0] if obs.low > 0) < MIN_SAMPLES:
            # A few takes could be the odd ones: one slow take would hold the next takes' first
            # poll back for minutes. Until there are more, polls come often (see poll_delay).
            # Nor do takes known only as done before their first poll teach anything alone:
            # with no lower bounds, the likeliest median is zero.
            return unlearned
        fitted = _fit(tuple(tuple(group) for group in groups if len(group) >= MIN_SAMPLES))
        if fitted is None:
            # No trustworthy maximum (render_fit.fit): polls come often, as with too few takes,
            # rather than hang on a wrong fit with a confident margin.
            return unlearned
        mu, sigma = fitted.mu[0], fitted.sigma
        lag_p95 = None
        watched = tuple((seen, completed) for seen, completed in planned if seen.high > 0)
        if len(watched) >= MIN_LAG_SAMPLES:
            lag_p95 = _lag_p95(watched, mu, sigma)
        return cls(
            median=math.exp(mu),
            spread=sigma,
            learned=True,
            margin=fitted.log_percentile_se(0, Z_EARLY),
            lag_p95=lag_p95,
        )

    def percentile(self, z: float) -> float:
        return self.median * math.exp(z * self.spread)

    def grace_share(self) -> float:
        """1, or less while the recent p95 lag is over the target."""
        if self.lag_p95 is None or self.lag_p95 <= LAG_TARGET:
            return 1.0
        return max(MIN_GRACE_SHARE, LAG_TARGET / self.lag_p95)

    def first_poll(self, grace: timedelta) -> float:
        """Seconds after the submit: a take done before then was most likely seen in time.
        The 3.5th percentile moved earlier by Z_MARGIN standard errors (a sample of 20 takes
        knows it to about 10%, one of 200 to about 3%), then `grace` (Intervals.first_poll_grace,
        shrunk while the lag is over target). With the render times known exactly and the lag
        on target, the 3.5th percentile plus the grace."""
        early = self.percentile(Z_EARLY) * math.exp(-Z_MARGIN * self.margin)
        return early + grace.total_seconds() * self.grace_share()


@functools.lru_cache(maxsize=32)
def _fit(groups: tuple[tuple[render_fit.Observation, ...], ...]) -> render_fit.Fit | None:
    """The fit takes 10 to 20 ms for 400 takes; takes submitted while none finishes (a batch of
    shots, a worker's backlog) learn from the same ones, and get the same fit from here."""
    return render_fit.fit(groups)


@functools.lru_cache(maxsize=32)
def _lag_p95(
    planned: tuple[tuple[render_fit.Observation, float], ...], mu: float, sigma: float
) -> float:
    """Takes submitted while none finishes (a batch of shots) get the same answer, as _fit."""
    return render_fit.lag_percentile(planned, mu=mu, sigma=sigma)


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
