"""Browser tests: Playwright drives Debian's Chromium against a live server, with a real Celery
worker process, Redis and the gateway simulator behind it; and the finished takes and the ad
that the playlist, timeline and deliverables tests start from."""

import os
import shutil

import pytest
from playwright.sync_api import expect, sync_playwright

from studio.generation import pauses
from studio.playlists.services import playlist_add_takes, playlist_create
from studio.projects import live
from studio.review.models import ReviewState
from studio.review.services import review_decide
from tests.e2e.rendered import rendered_takes
from tests.factories import make_shot
from tests.live_services import celery_broker, celery_worker, redis_server, worker_environment
from tests.simulator_fixtures import simulator_subprocess

expect.set_options(timeout=10_000)

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def chromium_path() -> str:
    path = (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )
    if not path:
        raise RuntimeError("The browser tests need Chromium: apt-get install -y chromium")
    return path


# As the modules have them, before any test's fixture changes them.
SERVED_PULSE_SECONDS = live.PULSE_SECONDS
SERVED_PAUSES_SECONDS = pauses.PAUSES_SECONDS


@pytest.fixture(autouse=True)
def live_polls_as_in_production(monkeypatch):
    """The board's pulse kept for its second and the pauses for theirs, as served
    (tests/conftest.py reads them on every request): a browser waits for what the page shows,
    however late within its timeout."""
    monkeypatch.setattr(live, "PULSE_SECONDS", SERVED_PULSE_SECONDS)
    monkeypatch.setattr(pauses, "PAUSES_SECONDS", SERVED_PAUSES_SECONDS)


@pytest.fixture
def browser(monkeypatch):
    """Chromium for one test. Playwright's sync API runs an event loop in the test thread, which
    Django's ORM refuses unless told otherwise: told here, for the browser tests only and while
    their loop runs (one browser a test, so no other test in this process runs beside it)."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems: list[str] = []
    page.on(
        "console", lambda msg: msg.type == "error" and problems.append(f"{msg.text} {msg.location}")
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.problems = problems
    yield page
    context.close()


@pytest.fixture
def studio_services(settings, live_server):
    """A worker and the simulator, set up the way `make run` sets them up, but for a poll floor
    of 1 s instead of the gateway's 3 (a take is seen done sooner, and the test ends sooner)."""
    with (
        redis_server() as broker_url,
        simulator_subprocess(
            queue_seconds=1.0,
            run_seconds=4.0,
            run_seconds_per_video_second=0,
            min_poll_interval=1.0,
            faults=["fail-marker:content_policy:[blocked]"],
        ) as simulator,
    ):
        settings.AIGATEWAY_SIMULATED = True
        env = worker_environment(broker_url=broker_url, gateway_url=simulator.url)
        env["STUDIO_POLL_FLOOR_SECONDS"] = "1"
        with celery_broker(broker_url), celery_worker(env):
            yield simulator


@pytest.fixture
def finished_takes(studio, tmp_path):
    """Three shots with a finished, approved take each, as if the gateway had made them."""
    shots = [studio.shot] + [
        make_shot(studio.storyboard, n, video_model=studio.veo, prompt=f"Scene {n}", duration=2)
        for n in (2, 3)
    ]
    takes = rendered_takes(shots, tmp_path, length=2, ratio="16:9", resolution="320x180")
    for take in takes:
        review_decide(target=take, state=ReviewState.APPROVED, user=studio.rita)
    return takes


@pytest.fixture
def ad(studio, finished_takes):
    """The three finished 2 s takes as a 6 s YouTube ad, full to its target."""
    ad = playlist_create(
        user=studio.bob, project=studio.project, name="Hero", platform="youtube", target_seconds=6
    )
    playlist_add_takes(user=studio.bob, playlist=ad, takes=finished_takes)
    return ad
