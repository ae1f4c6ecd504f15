"""The polling plan: hardly a poll before a job can plausibly be done, then every few seconds."""

import math
import statistics
from datetime import UTC, datetime, timedelta
from statistics import NormalDist

from studio.generation.polling import Z_EARLY, Z_LATE, RenderTimes, poll_delay

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def test_nothing_learned_polls_often_then_thins_out_to_eight_seconds():
    delays = [
        poll_delay(
            submitted_at=T0, earliest_ready_at=None, latest_ready_at=None, now=T0 + seconds(s)
        )
        for s in (0, 20, 300)
    ]
    assert delays == [seconds(3), seconds(5), seconds(8)]


def lognormal(median: float, count: int) -> list[float]:
    """Render times as the gateway's spread them: log-normal, about 30% around the median."""
    spread = NormalDist(mu=math.log(median), sigma=0.3)
    return [math.exp(spread.inv_cdf((i + 0.5) / count)) for i in range(count)]


def plan_for(median: float):
    times = RenderTimes.from_samples(lognormal(median, 20), fallback=90)
    earliest = T0 + seconds(times.percentile(Z_EARLY))
    latest = T0 + seconds(times.percentile(Z_LATE))

    def delay_at(now: datetime) -> timedelta:
        return poll_delay(
            submitted_at=T0, earliest_ready_at=earliest, latest_ready_at=latest, now=now
        )

    return times, earliest, latest, delay_at


def test_learned_times_wait_for_the_window_then_poll_every_five_point_three_seconds():
    times, earliest, latest, delay_at = plan_for(120)
    assert times.learned and 110 < times.median < 130
    assert delay_at(T0) == earliest - T0  # one wait, straight to the 6th percentile
    assert delay_at(earliest - seconds(2)) == seconds(3)  # never under the gateway's 3 s
    assert delay_at(T0 + seconds(times.median)) == seconds(5.3)
    assert delay_at(latest + seconds(100)) == seconds(15.3)


def test_against_a_fixed_3s_poller_far_fewer_calls_and_completion_seen_within_6s():
    """Log-normal 120 s jobs with a 30% spread, as the gateway's run: calls per job (submit plus
    polls) and the lag from completion to the poll that sees it."""
    _, _, _, delay_at = plan_for(120)
    ours, fixed, lags = [], [], []
    for done in lognormal(120, 400):
        now, polls = T0, 0
        while now < T0 + seconds(done):
            now += delay_at(now)
            polls += 1
        ours.append(1 + polls)
        fixed.append(1 + math.ceil(done / 3))
        lags.append((now - T0).total_seconds() - done)
    assert statistics.mean(fixed) / statistics.mean(ours) > 3.5  # make bench: 4.0x
    # The takes done before the first poll are most of the 5% that may be noticed later.
    assert sorted(lags)[int(0.95 * len(lags))] <= 6


def test_too_few_samples_keep_the_default_spread():
    assert RenderTimes.from_samples([100, 100], fallback=90).spread == 0.3
    assert RenderTimes.from_samples([], fallback=90) == RenderTimes(90, 0.3, learned=False)
