"""A finished take whose video comes too slowly fails with a message that says so, once the
download's one deadline (AIGATEWAY_MEDIA_DEADLINE_SECONDS) has passed; it can be retried."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from studio.gateway import JobRecord, JobStatus
from studio.generation import media, services, steps
from studio.generation.models import Take, TakeStatus
from tests.factories import make_take
from tests.helpers import configure, poll_until_done

pytestmark = pytest.mark.django_db


def test_a_download_past_its_deadline_fails_the_take_which_can_be_retried(
    gateway, studio, settings
):
    settings.AIGATEWAY_MEDIA_DEADLINE_SECONDS = 0.5
    # About a minute for the smallest video, a hundred times the deadline: the download
    # cannot finish in time however fast or slow the machine is.
    configure(gateway, media_bytes_per_second=1_000)
    take = services.take_create(user=studio.bob, shot=studio.shot)
    steps.take_submit(take_id=take.pk)
    take = poll_until_done(take)
    assert take.status == TakeStatus.FAILED
    assert take.error_message == (
        "The video took longer than 0.5 s to download; retry the take to try again."
    )
    assert not take.video
    assert take.can_retry


# A poll batch stores its finished takes one after another: no store may outlast its lease,
# or the dispatcher hands the take out again and two workers download the same video.

LEASE = 120


def finished_batch(studio, settings, count: int) -> list[Take]:
    """Takes at the gateway, due for a poll now, whose jobs the gateway reports completed."""
    settings.STUDIO_CLAIM_LEASE_SECONDS = LEASE
    now = timezone.now()
    return [
        make_take(
            studio.shot,
            status=TakeStatus.RUNNING,
            gateway_job_id=f"job_{n}",
            submitted_at=now - timedelta(seconds=60),
            next_check_at=now,
        )
        for n in range(count)
    ]


def completed_jobs(job_ids: list[str]):
    record = JobRecord(
        id="",
        status=JobStatus.COMPLETED,
        model="google/veo-3.1",
        created=None,
        video_url="https://media.example.com/take.mp4",
        video_duration=None,
        resolution=None,
        error_code=None,
        error_message=None,
        cost_cents=160,
        raw={},
    )
    return [(replace(record, id=job_id), timezone.now()) for job_id in job_ids]


@pytest.fixture
def slow_stores(monkeypatch, time_machine):
    """Each store of a video takes `seconds[0]` of (faked) time; records, for each, whether
    its take still held a lease running past the store's end."""
    time_machine.move_to(timezone.now(), tick=False)
    monkeypatch.setattr(steps, "_get_jobs", completed_jobs)
    stores: list[tuple[int, bool]] = []
    seconds = [70.0]

    def store(*, take, url):
        time_machine.move_to(timezone.now() + timedelta(seconds=seconds[0]), tick=False)
        lease = Take.objects.get(pk=take.pk).next_check_at
        stores.append((take.pk, lease is not None and lease > timezone.now()))
        return media.StoredMedia(
            video_name=f"takes/t{take.pk}.mp4",
            poster_name=f"takes/t{take.pk}.jpg",
            resolution="1280x720",
            duration=Decimal(take.duration),
        )

    monkeypatch.setattr(media, "store_take_media", store)
    return stores, seconds, time_machine


def test_a_batch_of_slow_stores_stores_none_past_its_lease_and_a_later_poll_stores_the_rest(
    studio, settings, slow_stores
):
    stores, _, time_machine = slow_stores
    takes = finished_batch(studio, settings, 4)
    ids = [take.pk for take in takes]
    steps.takes_poll(take_ids=ids)
    assert stores and all(held for _, held in stores), stores
    assert len(stores) < 4  # 70 s each: the batch's first lease cannot cover them all
    time_machine.move_to(timezone.now() + timedelta(seconds=LEASE), tick=False)
    steps.takes_poll(take_ids=ids)  # the next poll, once the rest are due again
    assert all(held for _, held in stores), stores
    assert sorted(pk for pk, _ in stores) == sorted(ids)  # each stored once
    assert set(Take.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        TakeStatus.COMPLETED
    }


def test_a_store_that_outlasts_its_lease_completes_nothing_and_the_next_poll_does(
    studio, settings, slow_stores
):
    stores, seconds, _ = slow_stores
    [take] = finished_batch(studio, settings, 1)
    seconds[0] = LEASE + 10.0  # the poster frame hung after the download
    steps.takes_poll(take_ids=[take.pk])
    take.refresh_from_db()
    assert (take.status, take.video.name) == (TakeStatus.RUNNING, "")
    seconds[0] = 1.0
    steps.takes_poll(take_ids=[take.pk])  # it was due again when its lease ran out
    take.refresh_from_db()
    assert take.status == TakeStatus.COMPLETED and len(stores) == 2
