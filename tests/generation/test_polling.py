"""The polling plan: hardly a poll before a job can plausibly be done, then every few seconds."""

import math
import statistics
from datetime import UTC, datetime, timedelta
from statistics import NormalDist

import pytest

from studio.generation.polling import Z_LATE, RenderTimes, poll_delay
from studio.generation.render_fit import Observation
from studio.generation.steps import poll_intervals

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
# The plan as the settings have it by default.
PLAN = poll_intervals()


def seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def test_nothing_learned_polls_often_then_thins_out_to_eight_seconds():
    delays = [
        poll_delay(
            submitted_at=T0,
            earliest_ready_at=None,
            latest_ready_at=None,
            now=T0 + seconds(s),
            intervals=PLAN,
        )
        for s in (0, 20, 300)
    ]
    assert delays == [seconds(3), seconds(5), seconds(8)]


def lognormal(median: float, count: int, spread: float = 0.3) -> list[float]:
    """Render times as the gateway's spread them: log-normal, about 30% around the median."""
    times = NormalDist(mu=math.log(median), sigma=spread)
    return [math.exp(times.inv_cdf((i + 0.5) / count)) for i in range(count)]


def exactly(seconds: list[float]) -> list[Observation]:
    """Render times as webhooks tell them."""
    return [Observation(low=value, high=value) for value in seconds]


def plan_for(median: float):
    times = RenderTimes.learn(exactly(lognormal(median, 20)), fallback=90)
    earliest = T0 + seconds(times.first_poll(PLAN.first_poll_grace))
    latest = T0 + seconds(times.percentile(Z_LATE))

    def delay_at(now: datetime) -> timedelta:
        return poll_delay(
            submitted_at=T0,
            earliest_ready_at=earliest,
            latest_ready_at=latest,
            now=now,
            intervals=PLAN,
        )

    return times, earliest, latest, delay_at


def test_learned_times_wait_for_the_window_then_poll_every_five_seconds():
    times, earliest, latest, delay_at = plan_for(120)
    assert times.learned and 110 < times.median < 130
    assert delay_at(T0) == earliest - T0  # one wait, straight to the first poll
    assert delay_at(earliest - seconds(2)) == seconds(3)  # never under the gateway's 3 s
    assert delay_at(T0 + seconds(times.median)) == seconds(5)
    assert delay_at(latest + seconds(100)) == seconds(15)


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
    # Replayed on the bench's jobs, 3.3x (python -m bench.replay); these 120 s jobs, 3.2x.
    assert statistics.mean(fixed) / statistics.mean(ours) > 3.1
    # The takes done before the first poll are most of the 5% that may be noticed later.
    assert sorted(lags)[int(0.95 * len(lags))] <= 6


def test_known_exactly_the_first_poll_is_a_fixed_grace_after_the_3_5th_percentile():
    """Today's plan, with no margin to keep: the grace is what a take done just before the
    percentile may wait, the same 5.2 s for short and long takes, so that long takes are not
    let through late more often."""
    for median in (70, 120):
        times = RenderTimes(median=median, spread=0.3, learned=True)
        assert times.first_poll(PLAN.first_poll_grace) == times.percentile(-1.812) + 5.2
        fastest = sorted(lognormal(median, 200))
        done_before_percentile = sum(
            1 for s in fastest if s < times.first_poll(PLAN.first_poll_grace) - 5.2
        )
        assert 5 <= done_before_percentile <= 9  # 3.5% of 200
        assert times.first_poll(PLAN.first_poll_grace) < times.median


def test_the_fewer_takes_finished_the_earlier_the_first_poll():
    """The percentile learned from 20 takes may be off by more than one learned from 200: the
    first poll keeps a margin of its standard error, which shrinks as takes finish."""
    few = RenderTimes.learn(exactly(lognormal(100, 20)), fallback=90)
    many = RenderTimes.learn(exactly(lognormal(100, 200)), fallback=90)
    assert few.margin > 2 * many.margin > 0
    grace = PLAN.first_poll_grace
    assert few.first_poll(grace) < many.first_poll(grace) - 1
    exact = RenderTimes(median=many.median, spread=many.spread, learned=True)
    assert many.first_poll(grace) < exact.first_poll(grace)


def test_other_durations_of_the_model_teach_the_spread_but_not_the_median():
    few = [60, 80]  # two 4 s takes so far: their own spread would say nothing
    learned = RenderTimes.learn(
        exactly(few * 6),
        fallback=90,
        peers=[exactly(lognormal(120, 100, spread=0.28)), exactly([500, 900])],
    )
    assert abs(learned.median - 70) < 11  # this duration's own median
    assert abs(learned.spread - 0.28) < 0.02  # mostly the 8 s takes' spread; two 15 s ones too few


def test_a_few_takes_are_not_trusted_yet_so_polls_stay_frequent():
    """One slow take among the first few must not hold back the next takes' first poll."""
    few = RenderTimes.learn(exactly([60, 62, 300]), fallback=90)
    assert few == RenderTimes(90, 0.3, learned=False)
    assert RenderTimes.learn([], fallback=90) == few
    assert RenderTimes.learn(exactly([60, 62, 300, *[61] * 7]), fallback=90).learned


def test_takes_with_no_likeliest_time_are_not_learned_and_the_submit_goes_on():
    """Identical exact times (the spread has no maximum above 0) overflowed math.exp inside
    the fit and crashed the submit that asked; now they leave the plan unlearned."""
    assert RenderTimes.learn(exactly([61] * 12), fallback=90) == RenderTimes(90, 0.3, learned=False)


def test_a_lag_over_target_brings_the_first_poll_forward_within_bounds():
    grace = PLAN.first_poll_grace
    on_target = RenderTimes(median=100, spread=0.3, learned=True, lag_p95=5.9)
    drifted = RenderTimes(median=100, spread=0.3, learned=True, lag_p95=8.0)
    far_off = RenderTimes(median=100, spread=0.3, learned=True, lag_p95=60.0)
    assert on_target.first_poll(grace) == on_target.percentile(-1.812) + 5.2
    assert drifted.first_poll(grace) == pytest.approx(drifted.percentile(-1.812) + 5.2 * 6 / 8)
    assert far_off.first_poll(grace) == pytest.approx(far_off.percentile(-1.812) + 5.2 / 2)


def test_takes_all_done_before_their_first_poll_teach_nothing_yet():
    """Upper bounds alone have their likeliest median at zero: polls stay frequent instead."""
    bounds = [Observation(low=0, high=40 + i) for i in range(20)]
    assert RenderTimes.learn(bounds, fallback=90) == RenderTimes(90, 0.3, learned=False)
