"""Part 3: 1,000 takes under a 600 RPM limit, in the simulator and in the studio's request budget
(AIGATEWAY_RPM=600). Job times and poll intervals are scaled as in part 1, but the limit's 60 s
window is real time, so the limit is 20x tighter relative to the jobs than a real 600 RPM key
(at a time scale of 1/20 it is like 30 RPM for real-time jobs): a stress test of the budget.

Steps run in this process as in part 1. Takes arrive at a steady rate; each completed take's lag
(gateway completion to 'completed' in the studio) is grouped by how many takes were in flight
(created, not yet finished) when its job completed. Lags here are bench seconds, as measured:
they are mostly the budget's waits, which are real seconds and are not rescaled."""

import bisect
import time

from django.conf import settings

from bench import world as w
from bench.driver import Driver
from bench.env import flush_redis
from bench.part1 import completion_times, warm_up
from bench.services import Simulator
from bench.stats import fmt, percentile, table
from studio.generation.models import Take, TakeStatus

RPM = 600


def in_flight_at(moment: float, created: list[float], finished: list[float]) -> int:
    """Takes created by `moment` and not finished by then (lists sorted)."""
    return bisect.bisect_right(created, moment) - bisect.bisect_right(finished, moment)


def run(sim: Simulator, args) -> dict:
    studio = w.build("part3")
    deadline = time.monotonic() + args.part_seconds
    learned = Take.objects.filter(status=TakeStatus.COMPLETED, duration__in=w.DURATIONS)
    if learned.count() < args.warmup * len(w.DURATIONS):  # part 1 did not run first
        warm_up(sim, studio, per_duration=args.warmup, deadline=deadline)
    # A fresh window on both sides: the warm-up ran at a high limit.
    flush_redis()
    sim.reset(rpm=RPM)
    settings.AIGATEWAY_RPM = args.budget_rpm or RPM
    takes, over = args.rpm_takes, args.rpm_arrive_over
    start = time.time()
    with Driver() as driver:
        ids = w.create_takes(
            studio, takes, over_seconds=over, deadline=time.monotonic() + over + 10
        )
        unfinished = w.wait_settled(ids, deadline=time.monotonic() + args.part_seconds)
        errors = driver.scheduler.errors
    elapsed = time.time() - start
    state = sim.state()
    done_at = completion_times(state)
    records = list(
        Take.objects.filter(pk__in=ids).values_list(
            "status", "gateway_job_id", "created_at", "submitted_at", "finished_at"
        )
    )
    created = sorted(c[2].timestamp() for c in records)
    finished = sorted(c[4].timestamp() for c in records if c[4])
    # (gateway completion, lag, submit wait) of each completed take.
    samples: list[tuple[float, float, float]] = []
    for status, job_id, made, sent, ended in records:
        gateway_done = done_at.get(job_id)
        if status != TakeStatus.COMPLETED or gateway_done is None or ended is None:
            continue
        samples.append(
            (gateway_done, ended.timestamp() - gateway_done, (sent - made).total_seconds())
        )
    completed = len(samples)
    requests = state["requests"]
    calls = requests["submit"] + requests["poll"] + requests["cancel"]
    slice_seconds = max(10.0, round(elapsed / 12 / 5) * 5)
    rows = []
    for low in range(0, int(elapsed) + 1, int(slice_seconds)):
        t0, t1 = start + low, start + low + slice_seconds
        inside = [(lag, wait) for done, lag, wait in samples if t0 <= done < t1]
        lags = [lag for lag, _ in inside]
        rows.append(
            [
                f"{low}-{low + slice_seconds:g} s",
                str(in_flight_at(t1, created, finished)),
                str(len(lags)),
                fmt(percentile(lags, 50), 1, " s"),
                fmt(percentile(lags, 95), 1, " s"),
            ]
        )
    print(
        table(
            f"part 3: {takes} takes over {over:g} s, simulator at {RPM} RPM, budget at "
            f"{settings.AIGATEWAY_RPM} RPM, time scale {args.time_scale:g}; "
            "lags in bench seconds, by when the job completed",
            ["time", "in flight at end", "jobs completed", "lag p50", "lag p95"],
            rows,
        )
    )
    summary = {
        "takes": len(ids),
        "completed": completed,
        "unfinished": unfinished,
        "seconds": elapsed,
        "calls": calls,
        "calls_per_minute": calls / elapsed * 60,
        "rate_limited": state["rate_limited"],
        "not_modified": state["not_modified"],
        "errors": errors,
        "submit_wait_p95": percentile([wait for _, _, wait in samples], 95),
        "max_in_flight": max((in_flight_at(t, created, finished) for t in created), default=0),
    }
    print(
        f"429s from the simulator: {summary['rate_limited']}; "
        f"calls {calls} in {elapsed:.0f} s ({summary['calls_per_minute']:.0f}/min, "
        f"{calls / max(completed, 1):.2f} per completed take); "
        f"completed {completed}/{len(ids)}, still active {unfinished}; "
        f"most in flight {summary['max_in_flight']}; "
        f"submit wait p95 {fmt(summary['submit_wait_p95'], 1, ' s')}; "
        f"304s {summary['not_modified']}; step errors {errors}"
    )
    return summary
