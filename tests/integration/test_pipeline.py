"""Generate to a stored, playable MP4 through the real pieces: Redis, a Celery worker process and
the gateway simulator on a real port. Nothing inside the studio is faked."""

from decimal import Decimal

import pytest

from studio.gateway import probe_video
from studio.generation import services
from studio.generation.models import Take, TakeStatus
from tests.integration.helpers import wait_until
from tests.live_services import celery_broker, celery_worker, redis_server, worker_environment
from tests.simulator_fixtures import simulator_subprocess

pytestmark = [
    pytest.mark.integration,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def pipeline():
    with (
        redis_server() as broker_url,
        simulator_subprocess(
            queue_seconds=0.5, run_seconds=1.0, run_seconds_per_video_second=0
        ) as simulator,
    ):
        env = worker_environment(broker_url=broker_url, gateway_url=simulator.url)
        with celery_broker(broker_url), celery_worker(env) as worker:
            yield worker


def wait_until_settled(take: Take) -> Take:
    def settled() -> bool:
        take.refresh_from_db()
        return not take.is_active

    wait_until(settled, seconds=90, what=lambda: f"take still {take.status}")
    return take


def test_generate_ends_in_a_stored_playable_mp4_of_the_requested_length(pipeline, studio):
    studio.shot.duration = 3
    studio.shot.aspect_ratio = "9:16"
    studio.shot.save()
    take = services.take_create(user=studio.bob, shot=studio.shot)
    take = wait_until_settled(take)
    assert take.status == TakeStatus.COMPLETED, take.error_message
    info = probe_video(take.video.path)
    assert abs(info.duration - 3) < Decimal("0.1")
    assert (info.width, info.height) == (720, 1280)
    assert info.audio is not None
    assert take.poster.size > 0
    assert take.billed_cost == Decimal("1.20")
