"""python -m bench.bound: the fewest calls any polling plan can make for the simulator's jobs
while seeing 95% of them done within 6 s, against a poller that asks every 3 s.

Exact knowledge of each job's render-time distribution is assumed (the studio learns it from a
few hundred takes). With the lag target met, a poll may come at most `6 s - storing` after the
one before it, except before the first poll: the jobs done before `first poll - (6 s - storing)`
are the 5% the target lets through late, and letting them through there is cheapest because
almost every job pays for a poll that early. So the best plan is: the first poll that long after
the 5th percentile, then one every `6 s - storing`; its calls are computed here over the
distribution (a fine grid of its quantiles), not sampled.

That bound holds on average, not on every sample: a run of 400 takes with 5% expected late has
more than 20 late (p95 over 6 s) nearly half the time. `every_sample` is the bound for a plan
that must hold on each of several runs, with a given confidence: it lets through the largest
expected share late for which that holds, knowing the percentile exactly or learning it from a
sample (its standard error in log seconds, `--se`), and the rest is as above."""

import argparse
import math
from dataclasses import dataclass
from statistics import NormalDist

from bench.jobs import DURATIONS, job_times

LAG_TARGET = 6.0  # seconds, p95
BASELINE_INTERVAL = 3.0
GRID = 20_000


@dataclass(frozen=True)
class Bound:
    calls: float  # per job, submit included
    baseline_calls: float

    @property
    def ratio(self) -> float:
        return self.baseline_calls / self.calls


def best_plan(*, storing: float, spread: float | None = None, late_share: float = 0.05) -> Bound:
    """Averaged over the bench's durations, as part 1 alternates them; `late_share` of the jobs
    are done before `first poll - (6 s - storing)`."""
    times = job_times(scale=1, seed=0)
    sigma = times["run_spread"] if spread is None else spread
    quantiles = [NormalDist().inv_cdf((i + 0.5) / GRID) for i in range(GRID)]
    fifth = NormalDist().inv_cdf(late_share)
    ours, theirs = [], []
    for duration in DURATIONS:
        running = times["run_seconds"] + times["run_seconds_per_video_second"] * duration

        def render(z: float, running: float = running) -> float:
            return times["queue_seconds"] + running * math.exp(sigma * z)

        interval = LAG_TARGET - storing
        first_poll = render(fifth) + interval
        for z in quantiles:
            done = render(z)
            ours.append(2 + max(0, math.ceil((done - first_poll) / interval)))
            theirs.append(1 + math.ceil(done / BASELINE_INTERVAL))
    return Bound(calls=sum(ours) / len(ours), baseline_calls=sum(theirs) / len(theirs))


def over_target(takes: int, late_share: float) -> float:
    """The chance that more than 5% of a run's takes are late (its p95 over the target), each
    late with this chance: the binomial tail beyond the nearest rank of the 95th percentile."""
    allowed = takes - math.ceil(0.95 * takes)
    return 1 - sum(
        math.comb(takes, late) * late_share**late * (1 - late_share) ** (takes - late)
        for late in range(allowed + 1)
    )


def every_sample(
    *, storing: float, takes: int, samples: int, confidence: float, se: float = 0.0
) -> tuple[float, Bound]:
    """The largest expected late share (on a grid of 0.1%) with which all `samples` runs of
    `takes` hold their p95 with at least `confidence`, and the best plan letting it through.
    A learned percentile is off by a normal error of `se` log seconds, which moves the share
    late in each run (the spread is the simulator's)."""
    sigma = job_times(scale=1, seed=0)["run_spread"]
    normal = NormalDist()
    errors = [-4 + 8 * step / 80 for step in range(81)]  # the error in standard errors
    weights = [normal.pdf(error) for error in errors]

    def fails(share: float) -> float:
        if not se:
            return over_target(takes, share)
        z = normal.inv_cdf(share)
        chances = [over_target(takes, normal.cdf(z + error * se / sigma)) for error in errors]
        return sum(w * c for w, c in zip(weights, chances, strict=True)) / sum(weights)

    # The chance of a run going over rises with the share: the largest that holds is the answer.
    holds = [
        thousandths
        for thousandths in range(1, 50)
        if (1 - fails(thousandths / 1000)) ** samples >= confidence
    ]
    if not holds:
        raise ValueError(f"not even 0.1% late holds on {samples} runs of {takes}")
    share = max(holds) / 1000
    return share, best_plan(storing=storing, late_share=share)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bound", description=__doc__)
    parser.add_argument("--storing", type=float, default=0.1, help="seconds to store a video")
    parser.add_argument("--spread", type=float, help="sigma of log running times")
    parser.add_argument("--samples", type=int, default=10, help="runs that must each hold")
    parser.add_argument("--takes", type=int, default=400, help="takes per run")
    parser.add_argument("--confidence", type=float, default=0.9)
    parser.add_argument("--se", type=float, default=0.03, help="error of a learned percentile")
    args = parser.parse_args()
    bound = best_plan(storing=args.storing, spread=args.spread)
    print(
        f"best plan, p95 lag {LAG_TARGET:g} s: {bound.calls:.2f} calls per job against "
        f"{bound.baseline_calls:.2f} for a {BASELINE_INTERVAL:g} s poller, {bound.ratio:.2f}x fewer"
    )
    for se in (0.0, args.se):
        share, held = every_sample(
            storing=args.storing,
            takes=args.takes,
            samples=args.samples,
            confidence=args.confidence,
            se=se,
        )
        known = "known exactly" if not se else f"learned to {se:g} log s"
        print(
            f"on each of {args.samples} runs of {args.takes} with {args.confidence:.0%} "
            f"confidence, the percentile {known}: {share:.1%} late expected, "
            f"{held.calls:.2f} calls per job, {held.ratio:.2f}x fewer"
        )


if __name__ == "__main__":
    main()
