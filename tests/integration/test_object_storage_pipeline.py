"""A take through the real pieces with media in object storage: the worker process downloads the
gateway's result, checks it and stores it in the test's S3 bucket (moto's server,
tests/object_store.py); the studio then plays it by a signed URL the store serves with Range."""

from decimal import Decimal

import httpx
import pytest
from django.urls import reverse

from studio.gateway import probe_video
from studio.generation import services
from studio.generation.models import TakeStatus
from tests.integration.helpers import wait_until
from tests.live_services import celery_broker, celery_worker, redis_server, worker_environment
from tests.simulator_fixtures import simulator_subprocess

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def pipeline(s3_storage):
    with (
        redis_server() as broker_url,
        simulator_subprocess(
            queue_seconds=0.5, run_seconds=1.0, run_seconds_per_video_second=0
        ) as simulator,
    ):
        env = worker_environment(broker_url=broker_url, gateway_url=simulator.url)
        with celery_broker(broker_url), celery_worker(env | s3_storage.env):
            yield s3_storage


def test_the_worker_stores_a_take_in_the_bucket_and_it_plays_with_range_from_there(
    pipeline, studio, client, media_root, tmp_path
):
    studio.shot.duration = 2
    studio.shot.save(update_fields=["duration"])
    take = services.take_create(user=studio.bob, shot=studio.shot)

    def settled() -> bool:
        take.refresh_from_db()
        return not take.is_active

    wait_until(settled, seconds=90, what=lambda: f"take still {take.status}")
    assert take.status == TakeStatus.COMPLETED, take.error_message
    assert pipeline.keys() == sorted([take.video.name, take.poster.name])
    assert not media_root.exists()  # nothing on the worker's disk but its work folder, gone

    client.force_login(studio.vera)
    response = client.get(reverse("take_video", args=[take.uuid]))
    assert response.status_code == 302
    part = httpx.get(response["Location"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and len(part.content) == 100
    assert part.headers["Content-Type"] == "video/mp4"
    whole = httpx.get(response["Location"])
    assert whole.content[:100] == part.content
    video = tmp_path / "played.mp4"
    video.write_bytes(whole.content)
    assert abs(probe_video(video).duration - 2) < Decimal("0.1")
