"""Thin Celery tasks: each takes an id and calls one service. All are safe to run twice.

No task ever sleeps waiting for the gateway: every wait is a countdown, and the beat sweep
picks up anything whose message was lost.
"""

from celery import shared_task

from . import services


def _enqueue(clip_id: int, step: services.NextStep | None, attempt: int = 0) -> None:
    if step is None:
        return
    countdown = step.after.total_seconds()
    if step.action == "submit":
        submit_clip.apply_async((clip_id, attempt + 1), countdown=countdown)
    else:
        poll_clip.apply_async((clip_id,), countdown=countdown)


@shared_task
def submit_clip(clip_id: int, attempt: int = 0) -> None:
    _enqueue(clip_id, services.clip_submit(clip_id=clip_id, attempt=attempt), attempt)


@shared_task
def poll_clip(clip_id: int) -> None:
    _enqueue(clip_id, services.clip_poll(clip_id=clip_id))


@shared_task
def sweep_stale_clips() -> None:
    found = services.clips_sweep()
    for clip_id in found["poll"]:
        poll_clip.delay(clip_id)
    for clip_id in found["submit"]:
        submit_clip.delay(clip_id)
