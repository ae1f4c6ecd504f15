"""What more than one test file does: talk to the gateway simulator, run a take's poll steps as
the worker would, place things in time. Builders of rows are in tests/factories.py."""

from datetime import UTC, datetime, timedelta

import httpx
from django.urls import reverse
from django.utils import timezone

from studio.activity.models import Activity, Verb
from studio.generation import services, steps
from studio.generation.models import Take
from studio.generation.transitions import NextStep

HTMX = {"HTTP_HX_REQUEST": "true"}


def live_poll(client, studio, since: str = ""):
    """The storyboard page's live poll, as storyboard.js sends it (no token: every shot)."""
    url = reverse("storyboard_live", args=[studio.storyboard.uuid])
    return client.get(url, {"since": since}, **HTMX)


# The gateway simulator


def configure(simulator, **changes) -> None:
    httpx.post(f"{simulator.url}/_sim/config", json=changes).raise_for_status()


def sim_state(simulator) -> dict:
    return httpx.get(f"{simulator.url}/_sim/state").json()


def new_take(studio) -> Take:
    """A take as the Generate button makes it: pending, not yet sent."""
    return services.take_create(user=studio.bob, shot=studio.shot)


def poll_once(take: Take) -> NextStep | None:
    """The poll step for one take, as a batch of one: when to ask again, None once it is done."""
    return steps.takes_poll(take_ids=[take.pk]).get(take.pk)


def poll_until_done(take: Take, seconds: float = 30) -> Take:
    """Run the poll step whenever the take is due, as the worker would, until it settles."""
    deadline = timezone.now() + timedelta(seconds=seconds)
    while timezone.now() < deadline:
        Take.objects.filter(pk=take.pk).update(next_check_at=timezone.now())
        if poll_once(take) is None:
            break
    take.refresh_from_db()
    return take


# Time and the activity log


def days_ago(days: int, hour: int = 12) -> datetime:
    today = timezone.localdate()
    return datetime.combine(today - timedelta(days=days), datetime.min.time(), UTC).replace(
        hour=hour
    )


def line(project, subject: str, *, at: datetime, verb=Verb.EDITED, storyboard=None, cost=None):
    activity = Activity.objects.create(
        project=project,
        storyboard=storyboard,
        actor_name="alice",
        verb=verb,
        subject=subject,
        cost=cost,
    )
    # auto_now_add ignores a given time: set it afterwards, as the log would have it.
    Activity.objects.filter(pk=activity.pk).update(created_at=at)
    return activity
