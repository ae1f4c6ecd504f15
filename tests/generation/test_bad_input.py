"""Bad input on the way in and bad results on the way back: refused with a clear message,
nothing sent where it should not go, nothing left behind, and no other take affected.

Services are called directly against the in-process simulator, as the worker would call them.
Result URLs are steered with the simulator's `public_url`: every media URL it hands out then
points at a small HTTP server of the test's own, which counts each request it gets and, per job,
serves a stand-in body or relays the simulator's real file.
"""

import contextlib
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from django.core.exceptions import ValidationError

from studio.gateway import probe_video
from studio.generation import ledger, services, steps
from studio.generation.models import Take, TakeStatus
from studio.projects.forms import ShotForm
from studio.projects.models import PROMPT_MAX_LENGTH, Shot
from studio.projects.services import shot_create
from tests.helpers import configure, poll_until_done, sim_state

pytestmark = [pytest.mark.django_db]

MAX_MEDIA_BYTES = 1_000_000


@pytest.fixture(autouse=True)
def own_tempdir(tmp_path, monkeypatch) -> Path:
    """Downloads pass through a temporary directory: this one, so the test can see it empty."""
    path = tmp_path / "tmp"
    path.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(path))
    return path


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in Path(root).rglob("*") if path.is_file())


def shot_of(studio, *, prompt: str = "A lemonade pour in slow motion", **changes) -> Shot:
    fields = {"duration": 1, "aspect_ratio": "16:9", **changes}
    return Shot.objects.create(
        storyboard=studio.storyboard,
        position=Shot.objects.count() + 1,
        prompt=prompt,
        video_model=studio.veo,
        **fields,
    )


def submitted(studio, shot: Shot) -> Take:
    take = services.take_create(user=studio.bob, shot=shot)
    assert steps.take_submit(take_id=take.pk) is not None
    take.refresh_from_db()
    assert take.gateway_job_id
    return take


# What a take asks for


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"duration": 0}, "Veo 3.1 makes videos of 1 to 60 seconds."),
        ({"duration": 61}, "Veo 3.1 makes videos of 1 to 60 seconds."),
        ({"aspect_ratio": "1:1"}, "Veo 3.1 accepts the aspect ratios 16:9, 9:16."),
    ],
    ids=["0 s", "61 s", "1:1"],
)
def test_what_the_model_cannot_make_is_refused_before_anything_is_sent(
    gateway, studio, changes, message
):
    with pytest.raises(ValidationError) as refused:
        shot_create(
            user=studio.bob,
            storyboard=studio.storyboard,
            prompt="A lemonade pour",
            video_model=studio.veo,
            **{"duration": 4, "aspect_ratio": "16:9", **changes},
        )
    assert refused.value.messages == [message]
    # A shot saved with it anyway (older data, an edit elsewhere) cannot be generated either.
    shot = shot_of(studio, **changes)
    with pytest.raises(ValidationError) as refused:
        services.take_create(user=studio.bob, shot=shot)
    assert refused.value.messages == [message]
    assert not Take.objects.exists()
    assert sim_state(gateway)["requests"]["submit"] == 0


BAD_PROMPTS = {
    "empty": "",
    "blank": "   \n\t ",
    "overlong": "x" * (PROMPT_MAX_LENGTH + 1),
}
# What the shot form says, next to the prompt field.
FORM_MESSAGES = {
    "empty": "This field is required.",
    "blank": "This field is required.",
    "overlong": f"Ensure this value has at most {PROMPT_MAX_LENGTH} characters "
    f"(it has {PROMPT_MAX_LENGTH + 1}).",
}


@pytest.mark.parametrize("case", BAD_PROMPTS)
def test_shot_form_refuses_an_empty_or_overlong_prompt_with_a_clear_message(studio, case):
    data = {
        "video_model": studio.veo.pk,
        "prompt": BAD_PROMPTS[case],
        "duration": 4,
        "aspect_ratio": "16:9",
    }
    form = ShotForm(data, video_model=studio.veo)
    assert not form.is_valid()
    assert form.errors["prompt"] == [FORM_MESSAGES[case]]


# What shot_create and take_create say, whoever calls them.
SERVICE_MESSAGES = {
    "empty": "Describe the shot: the prompt cannot be empty.",
    "blank": "Describe the shot: the prompt cannot be empty.",
    "overlong": f"Keep the prompt to {PROMPT_MAX_LENGTH} characters ({PROMPT_MAX_LENGTH + 1} now).",
}


@pytest.mark.parametrize("case", BAD_PROMPTS)
def test_shot_create_refuses_an_empty_or_overlong_prompt(studio, case):
    with pytest.raises(ValidationError) as refused:
        shot_create(
            user=studio.bob,
            storyboard=studio.storyboard,
            prompt=BAD_PROMPTS[case],
            duration=1,
            aspect_ratio="16:9",
            video_model=studio.veo,
        )
    assert refused.value.messages == [SERVICE_MESSAGES[case]]
    assert not Shot.objects.exclude(pk=studio.shot.pk).exists()


@pytest.mark.parametrize("case", BAD_PROMPTS)
def test_a_shot_with_an_empty_or_overlong_prompt_is_refused_before_anything_is_sent(
    gateway, studio, case
):
    # Saved anyway (older data, an edit elsewhere): generating it is refused all the same.
    shot = shot_of(studio, prompt=BAD_PROMPTS[case])
    with pytest.raises(ValidationError) as refused:
        services.take_create(user=studio.bob, shot=shot)
    assert refused.value.messages == [SERVICE_MESSAGES[case]]
    assert not Take.objects.exists()
    assert sim_state(gateway)["requests"]["submit"] == 0


# What comes back


@dataclass
class MediaHost:
    """Where result URLs point. `requests` lists every path asked for, in order."""

    url: str
    requests: list[str] = field(default_factory=list)
    # Per job id: (body, declare Content-Length); jobs not listed get the simulator's file.
    bodies: dict[str, tuple[bytes, bool]] = field(default_factory=dict)


@contextmanager
def media_host(bind: str, *, upstream: str | None = None) -> Iterator[MediaHost]:
    host: MediaHost

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            host.requests.append(self.path)
            job_id = self.path.split("?")[0].rsplit("/", 1)[-1].removesuffix(".mp4")
            if job_id in host.bodies:
                body, declare_length = host.bodies[job_id]
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                if declare_length:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif upstream:
                answer = httpx.get(upstream + self.path)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", ""))
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)
            else:
                self.send_error(404)

        def handle(self) -> None:
            # The studio stops reading an oversized body, as it should.
            with contextlib.suppress(ConnectionError):
                super().handle()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer((bind, 0), Handler)
    host = MediaHost(url=f"http://{bind}:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def resolver(monkeypatch) -> dict[str, str]:
    """Host names this test makes resolvable (to a local address); other names are resolved as
    usual. Nothing here is looked up outside this machine."""
    names: dict[str, str] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        return real(names.get(host, host), port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names


# (where the result URL points, what the studio says, where the counting server listens)
UNSAFE_ORIGINS = {
    "another loopback address": (
        "http://127.0.0.2:{port}",
        "http://127.0.0.2:{port} is not an allowed media origin",
        "127.0.0.2",
    ),
    "loopback by name": (
        "http://localhost:{port}",
        "http://localhost:{port} is not an allowed media origin",
        "127.0.0.1",
    ),
    "foreign host": (
        "http://media.evil.example:{port}",
        "http://media.evil.example:{port} is not an allowed media origin",
        "127.0.0.1",
    ),
    # DNS rebinding: the name is on the allowlist, but now resolves into our own network.
    "allowed name on a private address": (
        "http://media.aigateway.test:{port}",
        "the media host media.aigateway.test resolves to the private address 127.0.0.1",
        "127.0.0.1",
    ),
}


@pytest.mark.parametrize("case", UNSAFE_ORIGINS)
def test_result_on_a_host_that_is_not_allowed_fails_the_take_and_is_never_fetched(
    gateway, studio, settings, resolver, media_root, case
):
    public_url, message, bind = UNSAFE_ORIGINS[case]
    with media_host(bind) as host:
        port = host.url.rsplit(":", 1)[1]
        public_url, message = public_url.format(port=port), message.format(port=port)
        # Each name leads to the counting server, so a request, if one were made, would show.
        resolver.update({"media.evil.example": "127.0.0.1", "media.aigateway.test": "127.0.0.1"})
        if case == "allowed name on a private address":
            settings.AIGATEWAY_MEDIA_ORIGINS = [gateway.url, public_url]
        configure(gateway, public_url=public_url)

        take = poll_until_done(submitted(studio, shot_of(studio)))

        assert take.status == TakeStatus.FAILED
        assert take.error_code == "bad_result"
        assert take.error_message == f"The result could not be fetched: {message}"
        assert host.requests == []
    assert not take.video and not take.poster
    assert files_under(media_root) == []


BAD_RESULTS = {
    "oversized, declared": (
        b"\0" * (MAX_MEDIA_BYTES + 1),
        True,
        f"The result could not be fetched: the video is {MAX_MEDIA_BYTES + 1} bytes, "
        f"more than the {MAX_MEDIA_BYTES} allowed",
    ),
    "oversized, streamed without a length": (
        b"\0" * (3 * MAX_MEDIA_BYTES),
        False,
        f"The result could not be fetched: the video is larger than the {MAX_MEDIA_BYTES} "
        "bytes allowed",
    ),
    "text served as .mp4": (
        b"<html><body>Service temporarily unavailable</body></html>\n",
        True,
        "The gateway's result is not a playable video.",
    ),
}


@pytest.mark.parametrize("case", BAD_RESULTS)
def test_bad_result_fails_its_take_alone_and_leaves_no_file(
    gateway, studio, settings, media_root, own_tempdir, case
):
    body, declare_length, message = BAD_RESULTS[case]
    settings.AIGATEWAY_MAX_MEDIA_BYTES = MAX_MEDIA_BYTES
    with media_host("127.0.0.1", upstream=gateway.url) as host:
        settings.AIGATEWAY_MEDIA_ORIGINS = [host.url]
        configure(gateway, public_url=host.url)
        good_shot = shot_of(studio)
        bad = submitted(studio, shot_of(studio, prompt="A lemonade pour, second angle"))
        good = submitted(studio, good_shot)
        host.bodies[bad.gateway_job_id] = (body, declare_length)

        bad, good = poll_until_done(bad), poll_until_done(good)

        assert bad.status == TakeStatus.FAILED
        assert bad.error_code == "bad_result"
        assert bad.error_message == message
        assert not bad.video and not bad.poster
        # The other take, in flight at the same time, is not affected.
        assert good.status == TakeStatus.COMPLETED, good.error_message
        assert abs(probe_video(good.video.path).duration - 1) < Decimal("0.1")
        assert good.video.size < MAX_MEDIA_BYTES
        assert len(host.requests) == 2  # one download each, nothing retried
    assert files_under(media_root) == sorted([Path(good.video.path), Path(good.poster.path)])
    assert files_under(own_tempdir) == []


def test_a_rejected_result_still_counts_what_the_gateway_billed(gateway, studio, settings):
    with media_host("127.0.0.2") as host:
        configure(gateway, public_url=host.url)
        take = poll_until_done(submitted(studio, shot_of(studio)))
    # The gateway finished the job, so it billed it: the project counts it as spent.
    assert take.status == TakeStatus.FAILED
    billed = Decimal(sim_state(gateway)["billed_cents_total"]) / 100
    assert billed == Decimal("0.40")
    assert take.billed_cost == billed
    costs, _ = ledger.project_costs(studio.project)
    assert (costs.spent, costs.reserved) == (billed, Decimal("0.00"))
