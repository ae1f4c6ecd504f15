"""The life of a take against the gateway simulator on a real port: the same services the
Celery tasks call, driven step by step so each outcome is checked where it happens."""

import math
from datetime import timedelta
from decimal import Decimal
from statistics import NormalDist

import pytest
import redis
from django.core.exceptions import ValidationError
from django.utils import timezone

from studio.gateway import probe_video
from studio.generation import services, steps
from studio.generation.models import Take, TakeStatus
from tests.factories import make_take
from tests.helpers import configure, new_take, poll_once, poll_until_done, sim_state

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_take_goes_from_generate_to_a_stored_playable_video(gateway, studio):
    take = new_take(studio)
    assert take.status == TakeStatus.PENDING and take.estimated_cost == Decimal("1.60")
    step = steps.take_submit(take_id=take.pk)
    take.refresh_from_db()
    assert step.action == "poll"
    assert take.status in (TakeStatus.QUEUED, TakeStatus.RUNNING) and take.gateway_job_id
    take = poll_until_done(take)
    assert take.status == TakeStatus.COMPLETED, take.error_message
    info = probe_video(take.video.path)
    assert abs(info.duration - 4) < Decimal("0.1")
    assert (info.width, info.height) == (1280, 720)
    assert take.poster.size > 1000
    assert take.billed_cost == Decimal("1.60")
    assert take.resolution == "1280x720"


def test_failed_job_keeps_the_gateways_reason_and_costs_nothing(gateway, studio):
    configure(gateway, faults=["fail:content_policy"])
    take = new_take(studio)
    steps.take_submit(take_id=take.pk)
    take = poll_until_done(take)
    assert take.status == TakeStatus.FAILED
    assert take.error_message == "The prompt was blocked by the provider's safety filter."
    assert take.can_retry
    assert services.project_totals(studio.project).committed == Decimal("0")


def test_empty_wallet_fails_the_take_and_says_to_top_up(gateway, studio):
    configure(gateway, wallet_cents=0)
    take = new_take(studio)
    assert steps.take_submit(take_id=take.pk) is None
    take.refresh_from_db()
    assert take.status == TakeStatus.FAILED
    assert "top up" in take.error_message


def test_rate_limited_submit_waits_and_is_sent_once(gateway, studio, settings):
    configure(gateway, faults=["submit:429"])
    take = new_take(studio)
    step = steps.take_submit(take_id=take.pk)
    take.refresh_from_db()
    assert step.action == "submit" and step.after >= timedelta(seconds=1)
    assert take.status == TakeStatus.PENDING
    # Every worker now holds back for Retry-After: nothing is sent meanwhile.
    Take.objects.filter(pk=take.pk).update(next_check_at=timezone.now())
    assert steps.take_submit(take_id=take.pk).action == "submit"
    assert sim_state(gateway)["requests"]["submit"] == 1
    redis.Redis.from_url(settings.STUDIO_BUDGET_REDIS_URL).flushdb()  # the pause has run out
    Take.objects.filter(pk=take.pk).update(next_check_at=timezone.now())
    assert steps.take_submit(take_id=take.pk).action == "poll"
    assert len(sim_state(gateway)["jobs"]) == 1


def test_submit_with_unknown_outcome_is_never_resent(gateway, studio):
    configure(gateway, faults=["submit:500-after"])
    take = new_take(studio)
    assert steps.take_submit(take_id=take.pk) is None
    take.refresh_from_db()
    assert take.status == TakeStatus.UNCONFIRMED
    assert "may or may not have accepted" in take.error_message
    assert steps.take_submit(take_id=take.pk) is None  # the task delivered again
    assert len(sim_state(gateway)["jobs"]) == 1


def test_submit_task_run_twice_submits_once(gateway, studio):
    take = new_take(studio)
    assert steps.take_submit(take_id=take.pk) is not None
    assert steps.take_submit(take_id=take.pk) is None
    assert len(sim_state(gateway)["jobs"]) == 1


def test_a_poll_that_is_not_due_does_nothing(gateway, studio):
    take = new_take(studio)
    steps.take_submit(take_id=take.pk)
    Take.objects.filter(pk=take.pk).update(next_check_at=timezone.now() + timedelta(minutes=1))
    assert poll_once(take) is None


def test_early_poll_gets_304_and_is_rescheduled(gateway, studio):
    configure(gateway, min_poll_interval=3, queue_seconds=30)
    take = new_take(studio)
    steps.take_submit(take_id=take.pk)
    Take.objects.filter(pk=take.pk).update(next_check_at=timezone.now())
    poll_once(take)  # the first poll is answered
    Take.objects.filter(pk=take.pk).update(next_check_at=timezone.now())
    step = poll_once(take)  # the second, too soon: 304
    take.refresh_from_db()
    assert step.after == timedelta(seconds=3)  # STUDIO_POLL_FLOOR_SECONDS
    assert take.status == TakeStatus.QUEUED


def test_poll_floor_is_a_setting_that_tests_can_shorten(gateway, studio, settings):
    settings.STUDIO_POLL_FLOOR_SECONDS = 0.5
    # The simulator's own floor is far longer, so that the second poll is too soon however
    # slowly this test runs.
    configure(gateway, min_poll_interval=60, queue_seconds=30)
    take = new_take(studio)
    steps.take_submit(take_id=take.pk)
    Take.objects.filter(pk=take.pk).update(next_check_at=timezone.now())
    poll_once(take)
    Take.objects.filter(pk=take.pk).update(next_check_at=timezone.now())
    step = poll_once(take)  # too soon for the simulator too: 304
    assert step.after == timedelta(seconds=0.5)


def finished_takes(studio, *, duration: int, seconds: list[float]) -> None:
    """Takes of the shot that the gateway rendered in these many seconds, finished an hour ago."""
    done = timezone.now() - timedelta(hours=1)
    first = Take.objects.filter(shot=studio.shot).count() + 1
    for index, took in enumerate(seconds):
        make_take(
            studio.shot,
            first + index,
            length=duration,
            finished=done,
            submitted_at=done - timedelta(seconds=took),
            gateway_done_at=done,
        )


def test_a_submit_learns_its_first_poll_from_the_models_finished_takes(gateway, studio):
    """The median comes from takes of the same duration; the spread, on which the first poll
    hangs, from the model's other durations as well: twenty 4 s takes of 58 and 62 s are too
    few to say how far render times spread, a hundred 8 s takes spread by 30% say more."""
    studio.project.budget = Decimal("1000.00")  # the history was paid for
    studio.project.save()
    finished_takes(studio, duration=4, seconds=[58.0, 62.0] * 10)
    spread = NormalDist(mu=math.log(110), sigma=0.3)
    eights = [math.exp(spread.inv_cdf((i + 0.5) / 100)) for i in range(100)]
    finished_takes(studio, duration=8, seconds=eights)
    take = new_take(studio)
    steps.take_submit(take_id=take.pk)
    take.refresh_from_db()
    expected_at = (take.expected_ready_at - take.submitted_at).total_seconds()
    first_poll = (take.earliest_ready_at - take.submitted_at).total_seconds()
    assert round(expected_at) == 60
    # 5.8 s after the 3.5th percentile: from the 4 s takes alone that would be at 61 s, after
    # more than half of such takes are done; with the 8 s takes' spread, 42.3 s, and three
    # quarters of a standard error earlier (twenty takes know it to about 7%), 40.5 s.
    assert 39 < first_poll < 41
    assert take.next_check_at == take.earliest_ready_at


def test_takes_beyond_the_budget_are_refused_with_what_is_left(gateway, studio):
    studio.project.budget = Decimal("3.00")
    studio.project.save()
    new_take(studio)
    with pytest.raises(ValidationError) as refused:
        new_take(studio)
    assert refused.value.messages == [
        "This take costs $1.60; the project has $1.40 left of its $3.00 budget."
    ]
    assert Take.objects.count() == 1


def test_retry_makes_a_new_take_of_the_same_shot(gateway, studio):
    take = new_take(studio)
    Take.objects.filter(pk=take.pk).update(status=TakeStatus.FAILED)
    take.refresh_from_db()
    retry = services.take_retry(user=studio.bob, take=take)
    assert retry.take_number == 2 and retry.shot == take.shot
    with pytest.raises(ValidationError):
        services.take_retry(user=studio.bob, take=retry)
