"""Thin Celery tasks: each takes an id and calls one service. All are safe to run twice.

No task waits for the gateway, and no task waits in the broker for long: each step writes when
the next one is due into the take (`next_check_at`), and `dispatch_due_steps`, run by beat
every second, hands out the steps falling due, each with a countdown of under a second; polls
go in batches (one task polls up to `dispatch.POLL_BATCH` takes). A worker therefore holds a
second's worth of messages, however many takes are in flight.
A click (Generate, Cancel, Resume) sends its step at once, without waiting for the dispatcher,
through `enqueue`: should the broker be down, the click still succeeds and the step waits in the
database for the dispatcher (or the sweep) to send it once the broker is back.
"""

import logging
from collections.abc import Iterable
from datetime import datetime

import redis
from celery import Task, shared_task
from kombu.exceptions import OperationalError

from . import dispatch, steps, webhook_events

logger = logging.getLogger(__name__)

# What a publish raises when the broker cannot be reached: kombu wraps the transport's errors
# in OperationalError once its retries are spent; redis-py's own can still escape from a
# connection that breaks mid-publish.
BROKER_ERRORS = (OperationalError, redis.ConnectionError, redis.TimeoutError)


def enqueue(task: Task, *args) -> bool:
    """`task.delay(*args)`, or a logged warning if the broker is unreachable. For messages that
    only hurry along a step the database already holds as due (next_check_at, an unapplied
    webhook event, a queued export): losing one delays the step by a dispatch or sweep, whereas
    raising would answer a click with a 500 after its work was committed, and a second click
    would pay twice."""
    try:
        task.delay(*args)
    except BROKER_ERRORS as error:
        logger.warning("%s%r not sent now (broker unreachable: %s)", task.name, args, error)
        return False
    return True


def enqueue_each(task: Task, ids: Iterable[int]) -> None:
    """`enqueue` for each id, giving up at the first that cannot be sent: each try waits out
    kombu's publish retries (most of a second), and the dispatcher sends the rest anyway."""
    for pk in ids:
        if not enqueue(task, pk):
            return


def _lease(value: str | None) -> datetime | None:
    # Sent as ISO text: the JSON serializer would not bring a datetime back as one.
    return datetime.fromisoformat(value) if value else None


@shared_task
def submit_take(take_id: int, lease: str | None = None) -> None:
    steps.take_submit(take_id=take_id, lease=_lease(lease))


@shared_task
def poll_takes(take_ids: list[int], lease: str | None = None) -> None:
    steps.takes_poll(take_ids=take_ids, lease=_lease(lease))


@shared_task
def cancel_take(take_id: int, lease: str | None = None) -> None:
    steps.take_cancel(take_id=take_id, lease=_lease(lease))


@shared_task
def dispatch_due_steps() -> None:
    handed = dispatch.takes_dispatch()
    for step in handed:
        if step.action != "poll":
            task = submit_take if step.action == "submit" else cancel_take
            task.apply_async(
                (step.take_id, step.lease.isoformat()), countdown=step.after.total_seconds()
            )
    for batch in dispatch.poll_batches(handed):
        poll_takes.apply_async(
            (list(batch.take_ids), batch.lease.isoformat()), countdown=batch.after.total_seconds()
        )


@shared_task
def apply_webhook(event_pk: int) -> None:
    webhook_events.webhook_apply(event_pk=event_pk)


@shared_task
def sweep_stale_takes() -> None:
    for event_pk in dispatch.takes_sweep().webhook_events:
        apply_webhook.delay(event_pk)
