"""python -m bench.replay: part 1's learned schedule replayed on the simulator's own render times,
seed by seed, with no clock but the jobs': the studio's estimator and poll plan (render_fit.py,
polling.py) decide every poll, and nothing else (a busy machine, a late batch) adds to a lag.

Part 1 measures the studio as it runs, which on a shared 2-core machine also measures the
neighbours: a poll 50 ms late at the bench's time scale is a second late in real time. This
replays the same jobs (the n-th job of a seed gets the same render time, as the simulator's
seeded draw gives it) through the same stages: a warm-up on the unlearned schedule, one on the
learned schedule, both from the warm-up's own seed (bench.jobs.warm_up_seed: the run is
measured out of sample), then the run, learning at each submit from the takes finished by then.
Each take's lag is its poll's wait plus `--storing`; with `--late`, each poll also starts late
by a random delay of that mean (exponential), as a running worker's do. The baseline polls
every 3 s."""

import argparse
import bisect
import math
import random
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import NormalDist

from bench.jobs import DURATIONS, job_times, warm_up_seed
from bench.stats import percentile
from studio.generation import polling
from studio.generation.render_fit import Observation

T0 = datetime(2026, 1, 1, tzinfo=UTC)
# The settings' defaults (studio/settings.py, STUDIO_POLL_*), in real seconds.
INTERVALS = polling.Intervals(
    floor=timedelta(seconds=3),
    near=timedelta(seconds=5.0),
    first_poll_grace=timedelta(seconds=5.2),
    early_max=timedelta(seconds=300),
    late_max=timedelta(seconds=20),
    unlearned_max=timedelta(seconds=8),
)
FIFTH = NormalDist().inv_cdf(0.05)
RENDER_SAMPLES = 200  # as the studio learns (render_history.RENDER_SAMPLES)


@dataclass
class Finished:
    at: float  # when the studio had it completed, seconds into the stage's clock
    duration: int
    seen: Observation
    # Seconds after the submit when the studio had it completed; None when polled before
    # anything was learned (the studio measures no lag of those).
    completed: float | None


@dataclass
class Replay:
    storing: float
    late: float = 0.0  # mean seconds a poll starts after it fell due
    draw: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311
    history: list[Finished] = field(default_factory=list)  # newest last

    def learn(self, duration: int, now: float) -> polling.RenderTimes:
        done = [item for item in self.history if item.at <= now][::-1]
        own = [item for item in done if item.duration == duration][:RENDER_SAMPLES]
        others = [item for item in done if item.duration != duration][:RENDER_SAMPLES]
        peers: dict[int, list[Observation]] = {}
        for item in others:
            peers.setdefault(item.duration, []).append(item.seen)
        return polling.RenderTimes.learn(
            [item.seen for item in own],
            fallback=90,
            peers=list(peers.values()),
            planned=[(item.seen, item.completed) for item in own if item.completed is not None],
        )

    def follow(self, render: float, times: polling.RenderTimes) -> tuple[Observation, float, int]:
        """Poll one job as the studio would: what it saw, when it saw it done, its calls."""
        earliest = latest = None
        if times.learned:
            earliest = T0 + timedelta(seconds=times.first_poll(INTERVALS.first_poll_grace))
            latest = T0 + timedelta(seconds=times.percentile(polling.Z_LATE))
        now, last, calls = T0, 0.0, 1
        while True:
            now += polling.poll_delay(
                submitted_at=T0,
                earliest_ready_at=earliest,
                latest_ready_at=latest,
                now=now,
                intervals=INTERVALS,
            )
            if self.late:
                now += timedelta(seconds=self.draw.expovariate(1 / self.late))
            calls += 1
            seconds = (now - T0).total_seconds()
            if seconds >= render:
                return Observation(low=last, high=seconds), seconds, calls
            last = seconds

    def stage(
        self, renders: list[tuple[int, float]], gap: float, start: float
    ) -> tuple[list[float], list[int], dict[int, polling.RenderTimes]]:
        lags, calls, learned = [], [], {}
        for index, (duration, render) in enumerate(renders):
            submitted = start + index * gap
            times = self.learn(duration, submitted)
            learned[duration] = times
            seen, seen_at, made = self.follow(render, times)
            completed = seen_at + self.storing
            bisect.insort(
                self.history,
                Finished(
                    submitted + completed, duration, seen, completed if times.learned else None
                ),
                key=lambda item: item.at,
            )
            lags.append(seen_at - render + self.storing)
            calls.append(made)
        return lags, calls, learned


def renders(seed: int, count: int) -> list[tuple[int, float]]:
    """The simulator's render times for the first `count` jobs after a reset to `seed`, from
    the submit."""
    times = job_times(scale=1, seed=seed)
    draw = random.Random(seed)  # noqa: S311 -- the simulator's draw, not a secret
    result = []
    for index in range(count):
        duration = DURATIONS[index % len(DURATIONS)]
        running = times["run_seconds"] + times["run_seconds_per_video_second"] * duration
        factor = math.exp(times["run_spread"] * draw.gauss(0.0, 1.0))
        result.append((duration, times["queue_seconds"] + running * factor))
    return result


@dataclass(frozen=True)
class Result:
    seed: int
    calls: float  # per job, submit included
    baseline: float
    p50: float
    p95: float
    # By duration: learned median, spread, 5th percentile at the run's last submit; the run's
    # own median, spread (of log times) and 5th percentile.
    learned: dict[int, tuple[float, float, float, float, float, float]]


def replay(
    seed: int, *, takes: int, warmup: int, gap: float, storing: float, late: float = 0.0
) -> Result:
    replay = Replay(storing=storing, late=late, draw=random.Random(seed))  # noqa: S311
    first = max(5, warmup // 3) * len(DURATIONS)
    jobs = renders(warm_up_seed(seed), first + warmup * len(DURATIONS))
    # The warm-up: one simulator run, two rounds (bench/part1.warm_up), a take every 0.1 bench s.
    replay.stage(jobs[:first], 2.0, 0.0)
    replay.stage(jobs[first:], 2.0, 1e6)
    run = renders(seed, takes)
    lags, calls, learned = replay.stage(run, gap, 2e6)
    compared = {}
    for duration in DURATIONS:
        actual = [render for d, render in run if d == duration]
        logs = [math.log(value) for value in actual]
        times = learned[duration]
        compared[duration] = (
            times.median,
            times.spread,
            times.percentile(FIFTH),
            math.exp(statistics.median(logs)),
            statistics.stdev(logs),
            percentile(actual, 5) or 0.0,
        )
    return Result(
        seed=seed,
        calls=statistics.fmean(calls),
        baseline=statistics.fmean(1 + math.ceil(render / 3) for _, render in run),
        p50=percentile(lags, 50) or 0.0,
        p95=percentile(lags, 95) or 0.0,
        learned=compared,
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.replay", description=__doc__)
    parser.add_argument("--seeds", default="1-10", help="a range, as 1-10")
    parser.add_argument("--takes", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=100, help="takes per duration")
    parser.add_argument("--gap", type=float, default=2.0, help="seconds between submits")
    parser.add_argument("--storing", type=float, default=0.16, help="seconds to store a video")
    parser.add_argument("--late", type=float, default=0.0, help="mean seconds a poll is late")
    args = parser.parse_args()
    low, _, high = args.seeds.partition("-")
    rows = [
        replay(
            seed,
            takes=args.takes,
            warmup=args.warmup,
            gap=args.gap,
            storing=args.storing,
            late=args.late,
        )
        for seed in range(int(low), int(high or low) + 1)
    ]
    print(
        "| seed | calls/job | 3 s poller | vs baseline | lag p50 | lag p95 | "
        + " | ".join(f"{d} s: learned median / spread / 5th pct | gateway" for d in DURATIONS)
        + " |"
    )
    print("| --- " * (6 + 2 * len(DURATIONS)) + "|")
    for row in rows:
        cells = [
            str(row.seed),
            f"{row.calls:.2f}",
            f"{row.baseline:.2f}",
            f"{row.baseline / row.calls:.2f}x",
            f"{row.p50:.2f} s",
            f"{row.p95:.2f} s",
        ]
        for duration in DURATIONS:
            median, spread, fifth, true_median, true_spread, true_fifth = row.learned[duration]
            cells.append(f"{median:.1f} s / {spread:.3f} / {fifth:.1f} s")
            cells.append(f"{true_median:.1f} s / {true_spread:.3f} / {true_fifth:.1f} s")
        print("| " + " | ".join(cells) + " |")
    calls = statistics.fmean(row.calls for row in rows)
    baseline = statistics.fmean(row.baseline for row in rows)
    worst = max(row.p95 for row in rows)
    print(
        f"all: {calls:.2f} calls/job against {baseline:.2f}, {baseline / calls:.2f}x; "
        f"worst p95 {worst:.2f} s"
    )


if __name__ == "__main__":
    main()
