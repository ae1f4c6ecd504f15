"""The dispatcher hands out each due step once, within the request budget, and hands it out
again when its lease runs out; the sweep moves on whatever else went stale. Against the
simulator, with the same services the Celery tasks call."""

from datetime import timedelta
from decimal import Decimal

import pytest
from celery import beat
from django.conf import settings
from django.utils import timezone

from studio.activity.models import Activity, Verb
from studio.celery import app
from studio.generation import dispatch, services, steps, tasks, webhook_events
from studio.generation.models import Take, TakeStatus, WebhookEvent
from tests.helpers import new_take, sim_state

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_a_due_step_is_handed_out_once_and_a_second_delivery_does_nothing(gateway, studio):
    take = new_take(studio)
    later = new_take(studio)
    Take.objects.filter(pk=later.pk).update(next_check_at=timezone.now() + timedelta(minutes=1))

    [step] = dispatch.takes_dispatch()
    assert (step.take_id, step.action) == (take.pk, "submit")
    assert dispatch.takes_dispatch() == []  # still leased: not handed out twice
    assert steps.take_submit(take_id=take.pk, lease=step.lease).action == "poll"
    assert steps.take_submit(take_id=take.pk, lease=step.lease) is None  # delivered again
    assert sim_state(gateway)["accepted"] == 1


def test_a_step_whose_lease_ran_out_is_handed_out_again_and_the_old_message_is_void(
    gateway, studio, settings
):
    settings.STUDIO_CLAIM_LEASE_SECONDS = 30
    take = new_take(studio)
    [lost] = dispatch.takes_dispatch()  # its message is lost with a killed worker
    [again] = dispatch.takes_dispatch(now=timezone.now() + timedelta(seconds=31))
    assert again.take_id == take.pk and again.lease != lost.lease
    assert steps.take_submit(take_id=take.pk, lease=lost.lease) is None
    assert steps.take_submit(take_id=take.pk, lease=again.lease).action == "poll"
    assert sim_state(gateway)["accepted"] == 1


def test_cancels_go_first_and_no_more_steps_than_the_budget_lets_go(gateway, studio, settings):
    settings.AIGATEWAY_RPM = 120  # about two a second
    studio.project.budget = Decimal("100.00")
    studio.project.save()
    polls = [new_take(studio) for _ in range(8)]
    cancel = new_take(studio)
    now = timezone.now()
    Take.objects.filter(pk__in=[c.pk for c in polls]).update(
        status=TakeStatus.RUNNING, gateway_job_id="job_x", next_check_at=now
    )
    Take.objects.filter(pk=cancel.pk).update(
        status=TakeStatus.CANCELLING, gateway_job_id="job_y", next_check_at=now
    )
    handed = dispatch.takes_dispatch()
    assert handed[0].take_id == cancel.pk and handed[0].action == "cancel"
    assert 1 < len(handed) < 9
    # The others stay due and go first at a later run: none starves.
    rest = Take.objects.filter(next_check_at__lte=timezone.now()).count()
    assert rest == 9 - len(handed)


def test_sweep_marks_a_half_done_submit_unconfirmed_and_moves_on_the_unscheduled(gateway, studio):
    half_sent, forgotten = new_take(studio), new_take(studio)
    long_ago = timezone.now() - timedelta(minutes=5)
    Take.objects.filter(pk=half_sent.pk).update(
        status=TakeStatus.SUBMITTING, next_check_at=long_ago
    )
    Take.objects.filter(pk=forgotten.pk).update(
        status=TakeStatus.RUNNING, gateway_job_id="job_x", next_check_at=None, updated_at=long_ago
    )
    sweep = dispatch.takes_sweep()
    assert (sweep.unconfirmed, sweep.rescheduled) == (1, 1)
    half_sent.refresh_from_db()
    assert half_sent.status == TakeStatus.UNCONFIRMED
    assert "lost track of this submit" in half_sent.error_message
    assert [step.take_id for step in dispatch.takes_dispatch()] == [forgotten.pk]


def test_sweep_applies_a_webhook_event_whose_message_was_lost(gateway, studio):
    take = new_take(studio)
    steps.take_submit(take_id=take.pk)
    take.refresh_from_db()
    job = sim_state(gateway)["jobs"][0]
    event = WebhookEvent.objects.create(
        event_id="evt_lost",
        event_type="job.failed",
        take=take,
        payload={"id": "evt_lost", "type": "job.failed", "data": {"job_id": job["id"]}},
        received_at=timezone.now() - timedelta(minutes=1),
    )
    assert dispatch.takes_sweep().webhook_events == [event.pk]
    webhook_events.webhook_apply(event_pk=event.pk)
    assert webhook_events.webhook_apply(event_pk=event.pk) is None  # applied once
    assert dispatch.takes_sweep().webhook_events == []


def test_generating_selecting_and_cancelling_write_the_activity_log(gateway, studio):
    take = new_take(studio)
    line = Activity.objects.get(verb=Verb.GENERATED)
    assert str(line) == "bob generated take 1 of shot 1 in Hero spot"
    assert line.cost == Decimal("1.60") and line.project == studio.project

    services.take_request_cancel(user=studio.bob, take=take)
    assert (
        str(Activity.objects.get(verb=Verb.CANCELLED))
        == "bob cancelled take 1 of shot 1 in Hero spot"
    )

    done = new_take(studio)
    Take.objects.filter(pk=done.pk).update(status=TakeStatus.COMPLETED)
    done.refresh_from_db()
    services.take_select(user=studio.bob, take=done)
    assert (
        str(Activity.objects.get(verb=Verb.SELECTED))
        == "bob selected take 2 of shot 1 in Hero spot"
    )


def test_submits_cancels_and_beat_ticks_do_not_queue_behind_each_other():
    """A worker takes from its queues in turn: with submits and cancels in queues of their own,
    a storm of Generate clicks neither holds back a Cancel nor the polls falling due; with beat's
    ticks in one of their own, the dispatcher runs however many stored videos are queued."""

    def queue(task) -> str:
        return app.amqp.router.route({}, task.name)["queue"].name

    assert queue(tasks.submit_take) == "submits"
    assert queue(tasks.cancel_take) == "cancels"
    assert queue(tasks.poll_takes) == queue(tasks.apply_webhook) == "celery"
    ticks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {app.amqp.router.route({}, name)["queue"].name for name in ticks} == {"beat"}
    # The takes' worker consumes all but "exports", whose worker is its own (devtools/processes.py).
    assert set(app.conf.task_queues) == {"celery", "beat", "submits", "cancels", "exports"}
    assert app.amqp.router.route({}, "studio.playlists.tasks.export_playlist")["queue"].name == (
        "exports"
    )


def test_beat_starts_with_every_tick_where_no_schedule_file_can_be_kept(tmp_path):
    """Every tick is an interval of seconds and the database is the schedule, so beat keeps
    nothing on disk. A CI machine's beat died opening its SQLite schedule file ("locking
    protocol"), and with it the dispatcher: every take stayed queued."""
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    # As `celery beat` and a worker's embedded beat (-B) build it.
    service = beat.Service(
        app, schedule_filename=str(not_a_folder / "schedule"), scheduler_cls=app.conf.beat_scheduler
    )

    scheduler = service.get_scheduler()

    assert set(scheduler.schedule) >= set(settings.CELERY_BEAT_SCHEDULE)
