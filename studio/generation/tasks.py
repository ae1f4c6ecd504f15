"""Thin Celery tasks: each takes an id and calls one service. All are safe to run twice.

No task waits for the gateway, and no task waits in the broker for long: each step writes when
the next one is due into the take (`next_check_at`), and `dispatch_due_steps`, run by beat
every second, hands out the steps falling due, each with a countdown of under a second; polls
go in batches (one task polls up to `dispatch.POLL_BATCH` takes). A worker therefore holds a
second's worth of messages, however many takes are in flight.
A click (Generate, Cancel, Resume) sends its step at once, without waiting for the dispatcher.
"""

from datetime import datetime

from celery import shared_task

from . import dispatch, steps, webhook_events


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
