"""The gateway's webhook events: checked, applied once, completing the take at once."""

import json
import time
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.db.models.signals import post_init
from django.urls import reverse
from django.utils import timezone

from studio.celery import app as celery_app
from studio.generation import render_history, steps, webhook_events
from studio.generation.models import Take, TakeStatus, WebhookEvent
from studio.generation.webhooks import InvalidWebhook, sign, verify_event
from tests.factories import make_take
from tests.helpers import configure, new_take, sim_state

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
SECRET = "whsec-test-secret"


@pytest.fixture
def gateway(gateway, settings):
    settings.AIGATEWAY_WEBHOOK_SECRET = SECRET
    settings.STUDIO_PUBLIC_URL = "https://studio.example.com"
    return gateway


@pytest.fixture
def tasks_inline():
    """Queued tasks run at once in this process, so on_commit work is visible to the test."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def post_event(client, take, event, *, secret=SECRET, timestamp=None, key=None):
    """The event as the gateway posts it: to the URL the studio gave for the take."""
    body = json.dumps(event).encode()
    timestamp = str(timestamp or int(time.time()))
    return client.post(
        reverse("gateway_webhook", args=[key or take.idempotency_key]),
        body,
        content_type="application/json",
        HTTP_AIG_TIMESTAMP=timestamp,
        HTTP_AIG_SIGNATURE=sign(secret=secret, timestamp=timestamp, body=body),
    )


def completed_event(take, simulator, event_id="evt_1"):
    record = steps.gateway_client().get_job(take.gateway_job_id)
    return {
        "id": event_id,
        "type": "job.completed",
        "created": int(time.time()),
        "data": {
            "job_id": take.gateway_job_id,
            "model": "google/veo-3.1",
            "result_url": record.video_url,
            "usage": {"cost_cents": 160},
        },
    }


def submitted_and_finished(studio, simulator) -> Take:
    take = new_take(studio)
    steps.take_submit(take_id=take.pk)
    take.refresh_from_db()
    httpx.post(f"{simulator.url}/_sim/jobs/{take.gateway_job_id}/complete-now").raise_for_status()
    return take


def test_submit_names_a_webhook_url_for_the_take_when_configured(gateway, studio):
    take = new_take(studio)
    steps.take_submit(take_id=take.pk)
    take.refresh_from_db()
    assert steps.webhook_url_for(take) == (
        f"https://studio.example.com/hooks/gateway/{take.idempotency_key}/"
    )
    # With webhooks, polling is a slow safety net.
    later = take.submitted_at + timedelta(minutes=10)
    assert steps.next_poll_delay(take, later) == timedelta(
        seconds=120
    )  # STUDIO_WEBHOOK_SAFETY_POLL_SECONDS


def test_a_signed_event_completes_the_take_without_a_poll(
    gateway, studio, client, tasks_inline, django_capture_on_commit_callbacks
):
    take = submitted_and_finished(studio, gateway)
    polls_before = sim_state(gateway)["requests"]["poll"]
    with django_capture_on_commit_callbacks(execute=True):
        response = post_event(client, take, completed_event(take, gateway))
    assert response.status_code == 204
    take.refresh_from_db()
    assert take.status == TakeStatus.COMPLETED
    assert take.billed_cost == Decimal("1.60")
    assert take.video.size > 0
    assert sim_state(gateway)["requests"]["poll"] == polls_before + 1  # the test's own look-up


def test_a_replayed_event_is_acknowledged_and_ignored(
    gateway, studio, client, tasks_inline, django_capture_on_commit_callbacks
):
    take = submitted_and_finished(studio, gateway)
    event = completed_event(take, gateway)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_event(client, take, event).status_code == 204
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert post_event(client, take, event).status_code == 204
    assert callbacks == []
    assert WebhookEvent.objects.count() == 1


def delivered_late(studio, gateway, client, created: float | None) -> Take:
    """A take submitted two hours ago and last seen running 30 s later, whose event (made
    `created` seconds after the submit, or without `created`) arrives only now, after the
    gateway's retries (the test applies it on leaving its on_commit capture)."""
    take = submitted_and_finished(studio, gateway)
    sent = timezone.now() - timedelta(hours=2)
    Take.objects.filter(pk=take.pk).update(
        submitted_at=sent, last_seen_running_at=sent + timedelta(seconds=30)
    )
    event = completed_event(take, gateway)
    if created is None:
        del event["created"]
    else:
        event["created"] = int((sent + timedelta(seconds=created)).timestamp())
    post_event(client, take, event)
    return take


def test_a_retried_delivery_is_learned_at_the_gateways_time_not_its_arrival(
    gateway, studio, client, tasks_inline, django_capture_on_commit_callbacks
):
    """Its arrival two hours on was fitted as an exact render time of two hours; the event's
    `created` says the job finished within the second after it (made 60 s after the submit)."""
    with django_capture_on_commit_callbacks(execute=True):
        take = delivered_late(studio, gateway, client, created=60)
    take.refresh_from_db()
    assert take.status == TakeStatus.COMPLETED and take.done_seen_by_webhook
    seen_as = render_history.observation(render_history.finished(take.video_model_id).get())
    assert 59 < seen_as.low < 60 and seen_as.high == pytest.approx(seen_as.low + 1)
    assert take.gateway_done_at == take.submitted_at + timedelta(seconds=seen_as.low)


@pytest.mark.parametrize("created", [None, 10, 3 * 3600], ids=["none", "before", "after"])
def test_an_event_without_a_usable_time_is_learned_as_a_polls_interval(
    gateway, studio, client, tasks_inline, django_capture_on_commit_callbacks, created
):
    """Without `created`, or with one before the take was last seen running or after the
    event came (a clock that is off): done between the two, as a poll would have seen it."""
    with django_capture_on_commit_callbacks(execute=True):
        take = delivered_late(studio, gateway, client, created=created)
    take.refresh_from_db()
    assert take.status == TakeStatus.COMPLETED and not take.done_seen_by_webhook
    seen_as = render_history.observation(render_history.finished(take.video_model_id).get())
    assert seen_as.low == 30 and seen_as.high == pytest.approx(7200, abs=60)
    assert take.last_seen_running_at < take.gateway_done_at < take.done_seen_at


def test_an_event_for_a_take_whose_submit_answer_was_lost_settles_it(
    gateway, studio, client, tasks_inline, django_capture_on_commit_callbacks
):
    configure(gateway, faults=["submit:drop-after"])
    take = new_take(studio)
    steps.take_submit(take_id=take.pk)
    take.refresh_from_db()
    assert take.status == TakeStatus.UNCONFIRMED
    job = sim_state(gateway)["jobs"][0]
    take.gateway_job_id = job["id"]  # only to build the event; the take does not know it
    Take.objects.filter(pk=take.pk).update(gateway_job_id="")
    httpx.post(f"{gateway.url}/_sim/jobs/{job['id']}/complete-now").raise_for_status()
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, take, completed_event(take, gateway))
    take.refresh_from_db()
    assert take.status == TakeStatus.COMPLETED
    assert take.gateway_job_id == job["id"]


def test_an_event_whose_worker_died_before_applying_it_is_applied_by_the_next_delivery(
    gateway, studio, client, monkeypatch, django_capture_on_commit_callbacks
):
    """Late acknowledgement delivers the task again: the event must not count as applied
    while the take has not learned from it (for an unconfirmed take it is the only news)."""
    configure(gateway, faults=["submit:drop-after"])
    take = new_take(studio)
    steps.take_submit(take_id=take.pk)
    job = sim_state(gateway)["jobs"][0]
    take.gateway_job_id = job["id"]  # only to build the event; the take does not know it
    httpx.post(f"{gateway.url}/_sim/jobs/{job['id']}/complete-now").raise_for_status()
    with django_capture_on_commit_callbacks(execute=False):
        post_event(client, take, completed_event(take, gateway))
    event = WebhookEvent.objects.get()

    def worker_dies(*args, **kwargs):
        raise SystemExit("killed")

    with monkeypatch.context() as patched:
        patched.setattr(webhook_events, "transition", worker_dies)
        with pytest.raises(SystemExit):
            webhook_events.webhook_apply(event_pk=event.pk)
    event.refresh_from_db()
    assert event.applied_at is None
    webhook_events.webhook_apply(event_pk=event.pk)  # the task, delivered again
    take.refresh_from_db()
    assert take.status == TakeStatus.COMPLETED and take.gateway_job_id == job["id"]


def test_an_event_does_not_move_a_take_that_learned_another_job_after_the_event_came(
    studio, django_capture_on_commit_callbacks
):
    """The event for job Y arrives while the take knows no job (its submit answer was lost);
    before the worker applies it, a submit (Check again) commits job X. The take keeps X."""
    take = make_take(studio.shot, status=TakeStatus.UNCONFIRMED, gateway_job_id="")
    event = WebhookEvent.objects.create(
        event_id="evt_y",
        event_type="job.running",
        take=take,
        payload={"id": "evt_y", "type": "job.running", "data": {"job_id": "job_y"}},
    )

    def submit_commits_job_x(sender, instance, **kwargs):
        # The worker has just read the take (still without a job): the submit commits now.
        if instance.pk == take.pk:
            post_init.disconnect(submit_commits_job_x, sender=Take)
            Take.objects.filter(pk=take.pk).update(
                status=TakeStatus.RUNNING, gateway_job_id="job_x"
            )

    post_init.connect(submit_commits_job_x, sender=Take)
    try:
        with django_capture_on_commit_callbacks(execute=False):
            assert webhook_events.webhook_apply(event_pk=event.pk) is None
    finally:
        post_init.disconnect(submit_commits_job_x, sender=Take)
    take.refresh_from_db()
    assert (take.status, take.gateway_job_id) == (TakeStatus.RUNNING, "job_x")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"secret": "another-secret"}, "bad signature"),
        ({"timestamp": int(time.time() - 400)}, "stale event"),
        ({"timestamp": "nan"}, "bad timestamp"),  # was taken as fresh: nan > 300 is False
        ({"timestamp": "inf"}, "bad timestamp"),
        ({"id": "e" * 101}, "not a gateway event"),  # longer than the studio's column
        ({"job_id": "j" * 101}, "not a gateway event"),
    ],
)
def test_forged_stale_or_oversized_events_are_refused(gateway, studio, client, change, reason):
    take = new_take(studio)
    event = {"id": change.pop("id", "evt_x"), "type": "job.completed"}
    event["data"] = {"job_id": change.pop("job_id", "job_x")}
    response = post_event(client, take, event, **change)
    assert response.status_code == 400
    assert response.text == reason
    assert not WebhookEvent.objects.exists()


def test_an_event_must_match_the_take_it_is_posted_for(
    gateway, studio, client, django_capture_on_commit_callbacks
):
    """Another team's job, posted to a take that has none yet (its submit answer was lost):
    refused, since the take's URL holds its idempotency key, which no one else knows; and the
    public uuid (URLs given before) opens only a take that already knows the job."""
    take = make_take(studio.shot, status=TakeStatus.UNCONFIRMED, gateway_job_id="")
    theirs = {"id": "evt_9", "type": "job.completed", "data": {"job_id": "job_theirs"}}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert post_event(client, take, theirs, key=take.uuid).status_code == 400
        known = make_take(studio.shot, status=TakeStatus.RUNNING, gateway_job_id="job_mine")
        assert post_event(client, known, theirs).status_code == 400  # not its job
        assert post_event(client, known, theirs, key=known.uuid).status_code == 400
    assert callbacks == [] and not WebhookEvent.objects.exists()
    mine = {"id": "evt_10", "type": "job.completed", "data": {"job_id": "job_mine"}}
    with django_capture_on_commit_callbacks(execute=False):
        assert post_event(client, known, mine, key=known.uuid).status_code == 204
        assert post_event(client, take, theirs | {"id": "evt_11"}).status_code == 204
    assert set(WebhookEvent.objects.values_list("take", flat=True)) == {known.pk, take.pk}


def test_webhooks_are_off_without_a_secret(settings, studio, client):
    settings.AIGATEWAY_WEBHOOK_SECRET = ""
    take = make_take(studio.shot, status=TakeStatus.PENDING)
    assert post_event(client, take, {"id": "e", "data": {}}).status_code == 404


def test_verify_event_checks_every_part():
    body = b'{"id": "evt_1", "data": {"job_id": "job_1"}}'
    now = time.time()
    good = sign(secret=SECRET, timestamp=str(int(now)), body=body)
    # One hex digit changed (never "changed" to itself: that failed one run in sixteen).
    tampered = good[:-1] + ("1" if good[-1] == "0" else "0")
    assert verify_event(secret=SECRET, timestamp=str(int(now)), signature=good, body=body, now=now)
    for timestamp, signature, message in [
        (None, good, "missing"),
        (str(int(now)), tampered, "bad signature"),
        (str(int(now) + 1), good, "bad signature"),
    ]:
        with pytest.raises(InvalidWebhook, match=message):
            verify_event(
                secret=SECRET, timestamp=timestamp, signature=signature, body=body, now=now
            )
    future = str(int(now) + 600)
    with pytest.raises(InvalidWebhook, match="stale"):
        verify_event(
            secret=SECRET,
            timestamp=future,
            signature=sign(secret=SECRET, timestamp=future, body=body),
            body=body,
            now=now,
        )
