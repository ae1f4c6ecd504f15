"""The polling plan: hardly a poll before a job can plausibly be done, then every few seconds."""

import math
import statistics
from datetime import UTC, datetime, timedelta
from statistics import NormalDist

from studio.generation.polling import Z_LATE, RenderTimes, poll_delay
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


def plan_for(median: float):
    times = RenderTimes.from_samples(lognormal(median, 20), fallback=90)
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


def test_learned_times_wait_for_the_window_then_poll_every_five_point_six_seconds():
    times, earliest, latest, delay_at = plan_for(120)
    assert times.learned and 110 < times.median < 130
    assert delay_at(T0) == earliest - T0  # one wait, straight to the first poll
    assert delay_at(earliest - seconds(2)) == seconds(3)  # never under the gateway's 3 s
    assert delay_at(T0 + seconds(times.median)) == seconds(5.6)
    assert delay_at(latest + seconds(100)) == seconds(15.6)


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


def test_first_poll_comes_a_fixed_grace_after_the_3_5th_percentile():
    """The grace is what a take done just before the percentile may wait: the same 5.8 s for
    short and long takes, so that long takes are not let through late more often."""
    for median in (70, 120):
        times = RenderTimes.from_samples(lognormal(median, 200), fallback=90)
        fastest = sorted(lognormal(median, 200))
        done_before_percentile = sum(
            1 for s in fastest if s < times.first_poll(PLAN.first_poll_grace) - 5.8
        )
        assert 5 <= done_before_percentile <= 9  # 3.5% of 200
        assert times.first_poll(PLAN.first_poll_grace) < times.median


def test_takes_done_before_their_first_poll_do_not_narrow_the_learned_spread():
    """A take seen done at its first poll is known only as done before it: its time is taken as
    just before that poll. With a tenth of the takes squeezed up like that, the spread learned
    must still be the gateway's, or the first poll would come later and more takes be late."""
    actual = lognormal(100, 200, spread=0.28)
    first_poll = actual[20]
    squeezed = [max(value, first_poll - 2.5) for value in actual]
    learned = RenderTimes.from_samples(squeezed, fallback=90)
    narrowed = statistics.stdev(math.log(value) for value in squeezed)
    assert narrowed < 0.265  # what a plain standard deviation would learn
    assert abs(learned.spread - 0.28) < 0.01
    assert abs(learned.median - 100) < 1


def test_other_durations_of_the_model_teach_the_spread_but_not_the_median():
    few = [60, 80]  # two 4 s takes so far: their own spread would say nothing
    learned = RenderTimes.from_samples(
        few * 6, fallback=90, peers=[lognormal(120, 100, spread=0.28), [500, 900]]
    )
    assert abs(learned.median - 70) < 11  # this duration's own median
    assert abs(learned.spread - 0.28) < 0.02  # the 8 s takes' spread; two 15 s ones too few


def test_a_few_takes_are_not_trusted_yet_so_polls_stay_frequent():
    """One slow take among the first few must not hold back the next takes' first poll."""
    few = RenderTimes.from_samples([60, 62, 300], fallback=90)
    assert few == RenderTimes(90, 0.3, learned=False)
    assert RenderTimes.from_samples([], fallback=90) == few
    assert RenderTimes.from_samples([60, 62, 300, *[61] * 7], fallback=90).learned
