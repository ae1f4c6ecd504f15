"""A stand-in for Celery inside the bench process: the studio's dispatcher
(dispatch.takes_dispatch) runs every DISPATCH_AHEAD, as beat runs it, and each step it hands out
(polls in batches, dispatch.poll_batches) runs on a few threads at its time, as
studio/generation/tasks.py runs them; a click's step runs at once, as `.delay()` sends it.

In-process, the bench can time what the studio does without a broker hop: when a poll first saw
the job completed (the gateway client named by STUDIO_GATEWAY_CLIENT, TimedClient here), and when
the webhook arrived (its event's received_at).

While a Driver runs, the studio's three task objects in studio.generation.tasks are swapped for
stand-ins that schedule the step here: the studio hands work to Celery by calling `.delay()` on
them, and neither a setting nor a Celery signal lets a caller run a task later on another
scheduler without a broker."""

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

from django.conf import settings
from django.db import close_old_connections, connections
from django.db.models import Min

from studio.gateway import GatewayClient, JobStatus
from studio.generation import dispatch, steps, tasks, webhook_events
from studio.generation.models import WebhookEvent

log = logging.getLogger(__name__)

STEPS = {
    "submit": steps.take_submit,
    "cancel": steps.take_cancel,
}


class Scheduler:
    """Runs `fn(*args)` `after` seconds from now on a small thread pool; bounded by its caller."""

    def __init__(self, *, threads: int) -> None:
        self._heap: list[tuple[float, int, Callable[..., None], tuple]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="bench-step")
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="bench-scheduler", daemon=True)
        self.late: list[float] = []  # seconds each call started after it was due
        self.errors = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join(10)
        self._pool.shutdown(wait=True, cancel_futures=True)

    def at(self, after: float, fn: Callable[..., None], *args) -> None:
        with self._wake:
            due = time.monotonic() + after
            heapq.heappush(self._heap, (due, next(self._order), fn, args))
            self._wake.notify()

    def _loop(self) -> None:
        while True:
            with self._wake:
                if self._stopping:
                    return
                now = time.monotonic()
                if not self._heap or self._heap[0][0] > now:
                    self._wake.wait(self._heap[0][0] - now if self._heap else 0.5)
                    continue
                due, _, fn, args = heapq.heappop(self._heap)
            self._pool.submit(self._run, due, fn, args)

    def _run(self, due: float, fn: Callable[..., None], args: tuple) -> None:
        self.late.append(time.monotonic() - due)
        try:
            fn(*args)
        except Exception:
            self.errors += 1
            log.exception("bench step %s%r failed", getattr(fn, "__name__", fn), args)


class TimedClient(GatewayClient):
    """The studio's gateway client, noting when a poll first saw each job completed (wall
    clock, by job id) for the Driver that names it in STUDIO_GATEWAY_CLIENT."""

    seen_completed: ClassVar[dict[str, float]] = {}

    def get_job(self, job_id: str):
        record = super().get_job(job_id)
        if record is not None and record.status == JobStatus.COMPLETED:
            TimedClient.seen_completed.setdefault(job_id, time.time())
        return record


def webhooks_arrived(take_ids: Iterable[int]) -> dict[int, float]:
    """When each take's first webhook event arrived (wall clock, by take id)."""
    firsts = (
        WebhookEvent.objects.filter(take__in=list(take_ids))
        .values("take")
        .annotate(first=Min("received_at"))
        .values_list("take", "first")
        .order_by()
    )
    return {take_id: first.timestamp() for take_id, first in firsts}


class Driver:
    def __init__(self, *, threads: int = 4) -> None:
        self.scheduler = Scheduler(threads=threads)
        self.seen_completed: dict[str, float] = {}  # by gateway job id, see TimedClient

    def __exit__(self, *exc_info) -> None:
        self.scheduler.stop()
        self._uninstall()

    def __enter__(self) -> "Driver":
        self._install()
        self.scheduler.start()
        self.scheduler.at(0.0, self._dispatch)
        return self

    def schedule(self, kind: str, ident, after: float = 0.0, lease=None) -> None:
        self.scheduler.at(after, self._step, kind, ident, lease)

    def _dispatch(self) -> None:
        close_old_connections()
        handed = dispatch.takes_dispatch()
        for step in handed:
            if step.action != "poll":
                self.schedule(step.action, step.take_id, step.after.total_seconds(), step.lease)
        for batch in dispatch.poll_batches(handed):
            self.schedule("polls", batch.take_ids, batch.after.total_seconds(), batch.lease)
        self.scheduler.at(dispatch.dispatch_ahead().total_seconds(), self._dispatch)

    def _step(self, kind: str, ident, lease) -> None:
        # As Celery's Django fixup does around each task.
        close_old_connections()
        if kind == "webhook":
            webhook_events.webhook_apply(event_pk=ident)
        elif kind == "polls":
            steps.takes_poll(take_ids=ident, lease=lease)
        else:
            STEPS[kind](take_id=ident, lease=lease)

    # Where the studio would hand work to Celery, it hands it to this driver instead.

    def _install(self) -> None:
        driver = self

        class Send:
            def __init__(self, kind: str) -> None:
                self.kind = kind

            def delay(self, ident: int) -> None:
                driver.schedule(self.kind, ident)

        self._saved = {
            "submit_take": tasks.submit_take,
            "cancel_take": tasks.cancel_take,
            "apply_webhook": tasks.apply_webhook,
        }
        tasks.submit_take = Send("submit")
        tasks.cancel_take = Send("cancel")
        tasks.apply_webhook = Send("webhook")
        self._saved_client = settings.STUDIO_GATEWAY_CLIENT
        TimedClient.seen_completed = self.seen_completed
        settings.STUDIO_GATEWAY_CLIENT = f"{TimedClient.__module__}.TimedClient"

    def _uninstall(self) -> None:
        for name, task in self._saved.items():
            setattr(tasks, name, task)
        settings.STUDIO_GATEWAY_CLIENT = self._saved_client
        connections.close_all()
