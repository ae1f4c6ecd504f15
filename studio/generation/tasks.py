"""Thin Celery tasks: each takes an id and calls one service. All are safe to run twice.

No task ever sleeps waiting for the gateway: every wait is a countdown, and the beat sweep
picks up anything whose message was lost.
"""

from celery import shared_task

from . import services
from .models import WebhookEvent


def _enqueue(clip_id: int, step: services.NextStep | None, attempt: int = 0) -> None:
    if step is None:
        return
    task = {"submit": submit_clip, "poll": poll_clip, "cancel": cancel_clip}[step.action]
    next_attempt = attempt + 1 if step.retry else 0
    task.apply_async((clip_id, next_attempt), countdown=step.after.total_seconds())


@shared_task
def submit_clip(clip_id: int, attempt: int = 0) -> None:
    _enqueue(clip_id, services.clip_submit(clip_id=clip_id, attempt=attempt), attempt)


@shared_task
def poll_clip(clip_id: int, attempt: int = 0) -> None:
    _enqueue(clip_id, services.clip_poll(clip_id=clip_id, attempt=attempt), attempt)


@shared_task
def cancel_clip(clip_id: int, attempt: int = 0) -> None:
    _enqueue(clip_id, services.clip_cancel(clip_id=clip_id, attempt=attempt), attempt)


@shared_task
def apply_webhook(event_pk: int) -> None:
    step = services.webhook_apply(event_pk=event_pk)
    if step is not None:
        clip_id = WebhookEvent.objects.values_list("clip_id", flat=True).get(pk=event_pk)
        _enqueue(clip_id, step)


@shared_task
def sweep_stale_clips() -> None:
    found = services.clips_sweep()
    for action, task in (("poll", poll_clip), ("submit", submit_clip), ("cancel", cancel_clip)):
        for clip_id in found[action]:
            task.delay(clip_id)
