import pytest

from tests.helpers import configure


@pytest.fixture
def gateway(settings, simulator):
    """The studio pointed at this test's simulator, which answers every poll however soon."""
    settings.AIGATEWAY_BASE_URL = simulator.url
    settings.AIGATEWAY_MEDIA_ORIGINS = [simulator.url]
    configure(simulator, min_poll_interval=0)
    return simulator
