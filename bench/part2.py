"""Part 2: capacity. One `celery worker --concurrency 2` process (Redis broker), the simulator at
30,000 RPM, takes added in stages until 2,000 are in flight at the gateway. Nothing is scaled
here: the poll intervals are the real ones (3 s, 5 s, ...), and the jobs run for an hour, so all
of them stay in flight and are polled on their schedule for the whole part.

The studio has learned (from 50 finished takes written into the bench database) that takes of
this kind render in about 60 s (30% spread): each take is first polled near the 3rd percentile
(~34 s after submit), then every 5 s, then less often once it is past the 99th percentile.
Beat inside the worker runs the dispatcher, which hands out each step as it falls due."""

import math
import random
import time
from datetime import timedelta
from decimal import Decimal

import redis
from django.conf import settings
from django.utils import timezone

from bench import world as w
from bench.env import budget_url, flush_redis
from bench.services import Simulator, celery_worker, rss_kib
from bench.stats import fmt, percentile, table
from bench.worker import LATENESS_KEY
from studio.generation import transitions
from studio.generation.models import AT_GATEWAY_STATUSES, Take, TakeStatus

HISTORY_MEDIAN = 60.0  # seconds
HISTORY_SPREAD = 0.3
DURATION = 6  # a duration no other part uses, so its learned render times are this part's own


def seed_history(shot, *, count: int = 50, seed: int = 1) -> None:
    draw = random.Random(seed)  # noqa: S311 -- made-up render times
    now = timezone.now()
    Take.objects.bulk_create(
        Take(
            shot=shot,
            take_number=number,
            video_model=shot.video_model,
            prompt=shot.prompt,
            duration=shot.duration,
            aspect_ratio=shot.aspect_ratio,
            estimated_cost=Decimal("2.40"),
            billed_cost=Decimal("2.40"),
            status=TakeStatus.COMPLETED,
            gateway_job_id=f"job_history_{number}",
            submitted_at=now - timedelta(hours=1, minutes=number),
            finished_at=now
            - timedelta(hours=1, minutes=number)
            + timedelta(seconds=HISTORY_MEDIAN * math.exp(HISTORY_SPREAD * draw.gauss(0, 1))),
        )
        for number in range(1, count + 1)
    )


def overdue(shot) -> tuple[list[float], int]:
    """How late each in-flight take's next step is (0 if not due yet), and how many takes
    wait to be submitted past their time."""
    now = timezone.now()
    takes = Take.objects.filter(shot=shot).exclude(next_check_at=None)
    lease = transitions.claim_lease()
    late = []
    for due in takes.filter(status__in=AT_GATEWAY_STATUSES).values_list("next_check_at", flat=True):
        if due - now > lease / 2:
            # Handed out and not yet done: it holds a lease taken when it fell due (or up to
            # a dispatcher run's interval before), so it is late by at most the time since then.
            due -= lease
        late.append(max(0.0, (now - due).total_seconds()))
    backlog = takes.filter(status=TakeStatus.PENDING, next_check_at__lt=now).count()
    return late, backlog


def in_flight(shot) -> int:
    return Take.objects.filter(shot=shot, status__in=AT_GATEWAY_STATUSES).count()


def run(sim: Simulator, args, workdir) -> list[dict]:
    flush_redis()
    sim.reset(
        rpm=30_000,
        time_factor=1,
        queue_seconds=2,
        run_seconds=3600,
        run_seconds_per_video_second=0,
        run_spread=0,
        min_poll_interval=3,
    )
    settings.AIGATEWAY_RPM = 30_000
    studio = w.build("part2")
    shot = studio.shots[0]
    shot.duration = DURATION
    shot.save(update_fields=["duration"])
    seed_history(shot, seed=args.seed)
    only = w.World(studio.user, [shot])
    stages = [n for n in (100, 500, 1000, 2000) if n < args.capacity_jobs] + [args.capacity_jobs]
    deadline = time.monotonic() + args.part_seconds
    rows: list[dict] = []
    # The worker reads its timings from its own settings: the real ones, unscaled.
    worker_env = {"AIGATEWAY_RPM": "30000", "BENCH_POLL_LATENESS": budget_url()}
    store = redis.Redis.from_url(budget_url())
    with celery_worker(workdir, worker_env) as worker:
        idle_rss = rss_kib(worker.pid)
        made = 0
        for target in stages:
            w.create_takes(only, target - made, over_seconds=0, deadline=deadline)
            made = target
            while in_flight(shot) < target and time.monotonic() < deadline:
                time.sleep(0.5)
            reached = in_flight(shot)
            # Hold: sample how late the scheduled steps are while the worker polls.
            polls_before, since = sim.state()["requests"]["poll"], time.monotonic()
            store.delete(LATENESS_KEY)
            worst: list[float] = []
            backlog, p95 = 0, None
            # At the last stage, long enough for the newest takes to reach their polling phase.
            hold = args.hold_seconds if target != stages[-1] else max(args.hold_seconds, 45.0)
            hold_until = min(time.monotonic() + hold, deadline)
            while time.monotonic() < hold_until:
                time.sleep(1.0)
                late, backlog = overdue(shot)
                worst.append(max(late, default=0.0))
                p95 = percentile(late, 95)
            state = sim.state()
            started_late = [float(late) for late in store.lrange(LATENESS_KEY, 0, -1)]
            rows.append(
                {
                    "target": target,
                    "in_flight": reached,
                    "rss_mib": rss_kib(worker.pid) / 1024,
                    "polls_per_s": (state["requests"]["poll"] - polls_before)
                    / (time.monotonic() - since),
                    "overdue_p95": p95,
                    "overdue_max": max(worst, default=None),
                    "polls_measured": len(started_late),
                    "poll_late_p50": percentile(started_late, 50),
                    "poll_late_p95": percentile(started_late, 95),
                    "poll_late_max": max(started_late, default=None),
                    "submit_backlog": backlog,
                    "rate_limited": state["rate_limited"],
                }
            )
    # Its jobs run for an hour: end its takes, or the next part's dispatcher (which hands out
    # every take due in the database) would spend that part's budget polling them.
    Take.objects.filter(shot=shot).transition(
        from_statuses=AT_GATEWAY_STATUSES, status=TakeStatus.CANCELLED, next_check_at=None
    )
    print(
        table(
            "part 2: one worker (concurrency 2), simulator at 30,000 RPM, real-time intervals; "
            f"worker RSS idle {idle_rss / 1024:.0f} MiB",
            [
                "target",
                "in flight",
                "worker RSS",
                "polls/s",
                "overdue p95 (last sample)",
                "overdue max (hold)",
                "polls started late p50/p95/max (hold)",
                "submit backlog",
                "429s",
            ],
            [
                [
                    str(row["target"]),
                    str(row["in_flight"]),
                    fmt(row["rss_mib"], 0, " MiB"),
                    fmt(row["polls_per_s"], 1),
                    fmt(row["overdue_p95"], 1, " s"),
                    fmt(row["overdue_max"], 1, " s"),
                    f"{fmt(row['poll_late_p50'], 2)}/{fmt(row['poll_late_p95'], 2)}/"
                    f"{fmt(row['poll_late_max'], 2, ' s')} ({row['polls_measured']})",
                    str(row["submit_backlog"]),
                    str(row["rate_limited"]),
                ]
                for row in rows
            ],
        )
    )
    return rows
