"""`python -m bench.worker`: a Celery worker (prefork, concurrency 2, with beat) on the studio's
settings; timings come from the environment, as settings.py reads them. With
BENCH_POLL_LATENESS (a Redis URL) it measures how late each poll starts, from Celery's signals."""

import os
import time
from datetime import timedelta

import django


def main() -> None:
    django.setup()
    from celery.signals import task_prerun, worker_ready

    from studio.celery import app

    if os.environ.get("BENCH_POLL_LATENESS"):
        # Connected before the prefork children are made, so they inherit it.
        task_prerun.connect(PollLateness(os.environ["BENCH_POLL_LATENESS"]), weak=False)
    # Its INFO log would write a line per task: say "ready" at WARNING instead.
    worker_ready.connect(lambda **_: print("bench worker ready.", flush=True), weak=False)
    app.worker_main(
        [
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            "2",
            "--pool",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"bench-{os.getpid()}@%h",
            # Beat inside the worker runs the dispatcher that hands out every poll.
            "--beat",
        ]
    )


LATENESS_KEY = "bench:poll-late"  # seconds each poll was started after it fell due
DUE_KEY = "bench:poll-due"  # when each poll the dispatcher may hand out falls due, by take


class PollLateness:
    """Measure, not estimate, how late each poll starts: Celery's task_prerun signal, before
    each dispatcher run, notes when each poll it may hand out falls due (its `next_check_at`, or
    the run's start if that has passed, as the dispatcher counts it), and before each poll batch
    how long after that it started. Kept in Redis, read by part 2."""

    DISPATCH = "studio.generation.tasks.dispatch_due_steps"
    POLL = "studio.generation.tasks.poll_takes"

    def __init__(self, redis_url: str) -> None:
        import redis

        self.store = redis.Redis.from_url(redis_url)

    def __call__(self, *, task, args, **_) -> None:
        if task.name == self.DISPATCH:
            self.note_due()
        elif task.name == self.POLL:
            self.note_started(args[0])

    def note_due(self) -> None:
        from django.conf import settings
        from django.utils import timezone

        from studio.generation.models import AT_GATEWAY_STATUSES, Take

        now = timezone.now()
        horizon = now + timedelta(seconds=settings.STUDIO_DISPATCH_EVERY_SECONDS)
        due = {
            pk: max(at, now).timestamp()
            for pk, at in Take.objects.filter(
                status__in=AT_GATEWAY_STATUSES, next_check_at__lte=horizon
            ).values_list("pk", "next_check_at")
        }
        if due:
            self.store.hset(DUE_KEY, mapping=due)

    def note_started(self, take_ids: list[int]) -> None:
        started = time.time()
        # Each due time is used once: a take rescheduled between the note and the dispatcher's
        # own query has no due noted for this poll, and goes unmeasured rather than counted
        # from its previous poll's due time.
        with self.store.pipeline() as both:
            both.hmget(DUE_KEY, take_ids)
            both.hdel(DUE_KEY, *take_ids)
            due, _ = both.execute()
        late = [started - float(at) for at in due if at]
        if late:
            self.store.rpush(LATENESS_KEY, *late)


if __name__ == "__main__":
    main()
