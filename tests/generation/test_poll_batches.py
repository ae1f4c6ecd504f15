"""Polls go out in batches: one task claims its takes together, asks the budget once and makes
the requests side by side. A batch delivered twice polls nothing twice, a batch whose worker
died is handed out again once its lease runs out, and no batch sends more than the budget
grants. Against the simulator, with the services the Celery tasks call."""

from datetime import timedelta
from decimal import Decimal
from typing import Literal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from studio.generation import dispatch
from studio.generation.models import Clip, ClipStatus
from studio.generation.steps import clip_submit, clips_poll
from tests.helpers import configure, new_take, sim_state

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

Action = Literal["submit", "poll", "cancel"]


@pytest.fixture
def gateway(settings, simulator):
    settings.AIGATEWAY_BASE_URL = simulator.url
    settings.AIGATEWAY_MEDIA_ORIGINS = [simulator.url]
    configure(simulator, min_poll_interval=0, queue_seconds=60)
    return simulator


def running_takes(studio, count: int) -> list[Clip]:
    """Takes at the gateway (queued there for a minute), each due for a poll now."""
    studio.project.budget = Decimal("1000.00")
    studio.project.save(update_fields=["budget"])
    clips = [new_take(studio) for _ in range(count)]
    for clip in clips:
        assert clip_submit(clip_id=clip.pk).action == "poll"
    Clip.objects.filter(pk__in=[c.pk for c in clips]).update(next_check_at=timezone.now())
    return clips


def polls(gateway) -> int:
    return sim_state(gateway)["requests"]["poll"]


def test_due_polls_go_in_one_batch_and_a_second_delivery_polls_nothing(gateway, studio):
    clips = running_takes(studio, 5)
    [batch] = dispatch.poll_batches(dispatch.clips_dispatch())
    assert sorted(batch.clip_ids) == sorted(c.pk for c in clips)

    # One claim (UPDATE, read back), one write per take, in one transaction.
    with CaptureQueriesContext(connection) as queries:
        steps = clips_poll(clip_ids=batch.clip_ids, lease=batch.lease)
    assert {pk: step.action for pk, step in steps.items()} == dict.fromkeys(batch.clip_ids, "poll")
    assert polls(gateway) == 5
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1 + 5

    assert clips_poll(clip_ids=batch.clip_ids, lease=batch.lease) == {}  # again
    assert polls(gateway) == 5
    for clip in Clip.objects.filter(pk__in=batch.clip_ids):
        assert clip.status == ClipStatus.QUEUED
        assert clip.next_check_at > timezone.now()  # its next poll, on its own schedule


def test_a_batch_whose_worker_died_is_handed_out_again_once_its_lease_runs_out(
    gateway, studio, settings, monkeypatch
):
    settings.STUDIO_CLAIM_LEASE_SECONDS = 30
    clips = running_takes(studio, 3)
    [lost] = dispatch.poll_batches(dispatch.clips_dispatch())

    def worker_dies(job_ids):
        raise SystemExit("SIGKILL, as near as a test gets: the takes are claimed, not polled")

    with monkeypatch.context() as patched:
        patched.setattr("studio.generation.steps._get_jobs", worker_dies)
        with pytest.raises(SystemExit):
            clips_poll(clip_ids=lost.clip_ids, lease=lost.lease)
    # The message comes back (acks_late), but the takes are claimed: it does nothing.
    assert clips_poll(clip_ids=lost.clip_ids, lease=lost.lease) == {}
    assert dispatch.clips_dispatch() == []  # nor are they handed out while the claim holds

    later = timezone.now() + timedelta(seconds=31)
    [again] = dispatch.poll_batches(dispatch.clips_dispatch(now=later))
    assert sorted(again.clip_ids) == sorted(c.pk for c in clips)
    assert clips_poll(clip_ids=lost.clip_ids, lease=lost.lease) == {}  # still void
    assert len(clips_poll(clip_ids=again.clip_ids, lease=again.lease)) == 3
    assert polls(gateway) == 3


def test_a_batch_sends_no_more_polls_than_the_budget_grants_likely_ones_first(
    gateway, studio, settings, time_machine
):
    clips = running_takes(studio, 8)
    # The clock stands still from here: the held polls wait a fraction of a second for the
    # budget, and on a busy machine that much could pass before the second batch below.
    time_machine.move_to(timezone.now(), tick=False)
    # A budget of 120 RPM (118 with headroom) holds about 2 s of requests, less what polls
    # leave for submits: 3 polls may go at once (the submits above went before it existed).
    settings.AIGATEWAY_RPM = 120
    unlikely = clips[:4]
    Clip.objects.filter(pk__in=[c.pk for c in unlikely]).update(
        earliest_ready_at=timezone.now() + timedelta(minutes=2)
    )
    ids = [c.pk for c in clips]

    steps = clips_poll(clip_ids=ids)

    assert polls(gateway) == 3 and len(steps) == 8
    # A poll that was answered saw the job queued; the others wait for the budget, and those
    # that cannot be done yet twice as long.
    polled = set(
        Clip.objects.filter(pk__in=ids, last_seen_running_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    assert len(polled) == 3 and not polled & {c.pk for c in unlikely}
    [likely_held] = set(ids[4:]) - polled
    assert all(steps[c.pk].after == steps[likely_held].after * 2 for c in unlikely)
    # Each waits its turn, scheduled: none is lost, none is polled twice.
    assert Clip.objects.filter(pk__in=ids, next_check_at__gt=timezone.now()).count() == 8
    assert clips_poll(clip_ids=ids) == {}
    assert polls(gateway) == 3


def test_batches_hold_polls_due_close_together_and_go_when_the_last_is_due():
    lease = timezone.now() + timedelta(minutes=2)
    spread = dispatch.POLL_BATCH_SPREAD

    def step(pk: int, after: timedelta, action: Action = "poll") -> dispatch.Dispatch:
        return dispatch.Dispatch(pk, action, after, lease)

    close = [step(pk, spread * pk / 10) for pk in range(1, 11)]  # all within the spread
    apart = step(11, spread * 3)
    submit = step(12, timedelta(0), "submit")
    many = [step(100 + pk, spread * 5) for pk in range(dispatch.POLL_BATCH + 1)]

    batches = dispatch.poll_batches([apart, submit, *reversed(close), *many])

    assert [b.clip_ids for b in batches] == [
        tuple(range(1, 11)),
        (11,),
        tuple(range(100, 100 + dispatch.POLL_BATCH)),
        (100 + dispatch.POLL_BATCH,),
    ]
    assert [b.after for b in batches] == [spread, spread * 3, spread * 5, spread * 5]
