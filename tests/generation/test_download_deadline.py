"""A finished take whose video comes too slowly fails with a message that says so, once the
download's one deadline (AIGATEWAY_MEDIA_DEADLINE_SECONDS) has passed; it can be retried."""

import pytest

from studio.generation import services, steps
from studio.generation.models import TakeStatus
from tests.helpers import configure, poll_until_done

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(settings, simulator):
    settings.AIGATEWAY_BASE_URL = simulator.url
    settings.AIGATEWAY_MEDIA_ORIGINS = [simulator.url]
    configure(simulator, min_poll_interval=0)
    return simulator


def test_a_download_past_its_deadline_fails_the_take_which_can_be_retried(
    gateway, studio, settings
):
    settings.AIGATEWAY_MEDIA_DEADLINE_SECONDS = 0.5
    configure(gateway, media_bytes_per_second=20_000)  # a few seconds for the smallest video
    take = services.take_create(user=studio.bob, shot=studio.shot)
    steps.take_submit(take_id=take.pk)
    take = poll_until_done(take)
    assert take.status == TakeStatus.FAILED
    assert take.error_message == (
        "The video took longer than 0.5 s to download; retry the take to try again."
    )
    assert not take.video
    assert take.can_retry
