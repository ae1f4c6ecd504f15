import socket
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from devtools.simulator import SimulatorServer
from studio.gateway import (
    GatewayClient,
    MediaDownloadError,
    MediaExpired,
    MediaRefused,
    NotAVideo,
    download_media,
    probe_video,
)
from studio.gateway import media as media_module
from studio.gateway.media import MediaTooSlow

pytest_plugins = ["tests.simulator_fixtures"]

MAX_BYTES = 50 * 1024 * 1024


def finished_job(
    simulator: SimulatorServer,
    client: GatewayClient,
    *,
    duration: int = 2,
    aspect_ratio: str = "16:9",
) -> tuple[str, str]:
    """(job id, video URL) of a job that the simulator finished at once."""
    job = client.submit(
        model="google/veo-3.1",
        prompt="A lemonade stand at noon",
        duration=duration,
        aspect_ratio=aspect_ratio,
        idempotency_key=f"clip-{duration}-{aspect_ratio}",
    )
    httpx.post(f"{simulator.url}/_sim/jobs/{job.id}/complete-now").raise_for_status()
    record = client.get_job(job.id)
    assert record is not None and record.video_url
    return record.id, record.video_url


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    """Apart from the simulator's own media directory, which also lives in tmp_path."""
    path = tmp_path / "downloads"
    path.mkdir()
    return path


def refusing_transport(seen: list[httpx.Request]) -> httpx.MockTransport:
    """Records every request that would have gone out, and answers 500."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    return httpx.MockTransport(answer)


def test_download_gives_a_video_of_the_requested_length_and_shape(
    simulator, gateway_client, downloads
):
    _, url = finished_job(simulator, gateway_client, duration=3, aspect_ratio="9:16")
    dest = downloads / "take.mp4"

    written = download_media(url, dest, allowed_origins=[simulator.url], max_bytes=MAX_BYTES)

    info = probe_video(dest)
    assert written == dest.stat().st_size > 0
    assert abs(info.duration - 3) <= Decimal("0.1")
    assert (info.width, info.height) == (720, 1280)
    assert info.video_codec == "h264"
    assert info.audio is not None


def test_no_authorization_header_reaches_the_media_server(simulator, gateway_client, downloads):
    _, url = finished_job(simulator, gateway_client)

    download_media(
        url,
        downloads / "take.mp4",
        allowed_origins=[simulator.url],
        max_bytes=MAX_BYTES,
    )

    state = simulator.state()
    assert state["requests"]["media"] == 1
    assert state["media_requests_with_authorization"] == 0


def test_foreign_origin_is_refused_without_any_request(downloads):
    seen: list[httpx.Request] = []

    with pytest.raises(MediaRefused, match="not an allowed media origin"):
        download_media(
            "https://media.evil.example/take.mp4",
            downloads / "take.mp4",
            allowed_origins=["https://media.aigateway.sh"],
            max_bytes=MAX_BYTES,
            transport=refusing_transport(seen),
        )

    assert seen == []


def test_other_loopback_address_is_refused_when_only_one_is_allowed(simulator, downloads):
    port = simulator.url.rsplit(":", 1)[1]
    seen: list[httpx.Request] = []

    with pytest.raises(MediaRefused):
        download_media(
            f"http://127.0.0.2:{port}/media/job_1.mp4",
            downloads / "take.mp4",
            allowed_origins=[simulator.url],
            max_bytes=MAX_BYTES,
            transport=refusing_transport(seen),
        )

    assert seen == []


def test_allowed_host_name_resolving_to_a_private_address_is_refused(monkeypatch, downloads):
    # DNS rebinding: an allowlisted public name suddenly points into our own network.
    def resolve_to_loopback(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(media_module.socket, "getaddrinfo", resolve_to_loopback)
    seen: list[httpx.Request] = []

    with pytest.raises(MediaRefused, match="private address"):
        download_media(
            "https://media.aigateway.sh/take.mp4",
            downloads / "take.mp4",
            allowed_origins=["https://media.aigateway.sh"],
            max_bytes=MAX_BYTES,
            transport=refusing_transport(seen),
        )

    assert seen == []


def test_redirect_is_not_followed(downloads):
    seen: list[httpx.Request] = []

    def redirect(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest/"})

    with pytest.raises(MediaRefused, match="redirect"):
        download_media(
            "http://127.0.0.1:9/take.mp4",
            downloads / "take.mp4",
            allowed_origins=["http://127.0.0.1:9"],
            max_bytes=MAX_BYTES,
            transport=httpx.MockTransport(redirect),
        )

    assert len(seen) == 1
    assert not (downloads / "take.mp4").exists()


def test_oversized_video_is_refused_and_leaves_no_file(simulator, gateway_client, downloads):
    _, url = finished_job(simulator, gateway_client)

    with pytest.raises(MediaRefused, match="allowed"):
        download_media(
            url,
            downloads / "take.mp4",
            allowed_origins=[simulator.url],
            max_bytes=1000,
        )

    assert list(downloads.iterdir()) == []


def test_oversized_stream_without_content_length_is_cut_off(downloads):
    def endless(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=(b"x" * 1024 for _ in range(100)))

    with pytest.raises(MediaRefused):
        download_media(
            "http://127.0.0.1:9/take.mp4",
            downloads / "take.mp4",
            allowed_origins=["http://127.0.0.1:9"],
            max_bytes=10 * 1024,
            transport=httpx.MockTransport(endless),
        )

    assert list(downloads.iterdir()) == []


def test_expired_url_raises_media_expired_and_a_fresh_record_works(
    simulator, gateway_client, downloads
):
    simulator.configure(media_url_ttl=0)
    job_id, expired_url = finished_job(simulator, gateway_client)

    with pytest.raises(MediaExpired):
        download_media(
            expired_url,
            downloads / "take.mp4",
            allowed_origins=[simulator.url],
            max_bytes=MAX_BYTES,
        )

    simulator.configure(media_url_ttl=3600)
    fresh = gateway_client.get_job(job_id)
    assert fresh is not None and fresh.video_url
    assert (
        download_media(
            fresh.video_url,
            downloads / "take.mp4",
            allowed_origins=[simulator.url],
            max_bytes=MAX_BYTES,
        )
        > 0
    )


def test_server_failure_is_a_download_error_not_a_refusal(downloads):
    with pytest.raises(MediaDownloadError) as raised:
        download_media(
            "http://127.0.0.1:9/take.mp4",
            downloads / "take.mp4",
            allowed_origins=["http://127.0.0.1:9"],
            max_bytes=MAX_BYTES,
            transport=refusing_transport([]),
        )

    assert type(raised.value) is MediaDownloadError


@pytest.mark.parametrize(
    "content", [b"<html><body>Access denied</body></html>", b"", b"\x00\x00\x00\x18ftypmp42" * 4]
)
def test_non_video_file_is_refused_by_probe(downloads, content):
    path = downloads / "take.mp4"
    path.write_bytes(content)

    with pytest.raises(NotAVideo):
        probe_video(path)


def test_probe_accepts_a_string_path(simulator, gateway_client, downloads):
    _, url = finished_job(simulator, gateway_client)
    dest = downloads / "take.mp4"
    download_media(url, dest, allowed_origins=[simulator.url], max_bytes=MAX_BYTES)

    assert probe_video(str(dest)).duration == Decimal("2.000")


def test_download_replaces_an_existing_file_only_when_complete(downloads):
    dest: Path = downloads / "take.mp4"
    dest.write_bytes(b"previous take")

    def broken(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=(b"x" * 1024 for _ in range(100)))

    with pytest.raises(MediaRefused):
        download_media(
            "http://127.0.0.1:9/take.mp4",
            dest,
            allowed_origins=["http://127.0.0.1:9"],
            max_bytes=1024,
            transport=httpx.MockTransport(broken),
        )

    assert dest.read_bytes() == b"previous take"


def test_a_host_that_drips_bytes_is_cut_off_at_the_deadline(simulator, gateway_client, downloads):
    """Each chunk arrives well within the socket timeout, so only an overall deadline ends it."""
    _, url = finished_job(simulator, gateway_client)
    # A minute or so for the whole file, a hundred times the deadline: only the deadline can
    # end this download, however fast or slow the machine (MediaTooSlow says it did).
    simulator.configure(media_bytes_per_second=1_000)
    with pytest.raises(MediaTooSlow, match=r"took longer than 0\.5 s"):
        download_media(
            url,
            downloads / "video.mp4",
            allowed_origins=[simulator.url],
            max_bytes=MAX_BYTES,
            timeout=5,
            deadline=0.5,
        )
    assert list(downloads.iterdir()) == []
