import hashlib
import hmac
import json
import queue
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from devtools.simulator import SimulatorServer
from studio.gateway import probe_video
from tests.simulator_fixtures import TEST_API_KEY, simulator_subprocess

pytest_plugins = ["tests.simulator_fixtures"]

AUTH = {"Authorization": f"Bearer {TEST_API_KEY}"}


def order(**overrides: object) -> dict[str, object]:
    return {
        "model": "google/veo-3.1",
        "prompt": "A lemonade stand at noon",
        "duration": 2,
        "aspect_ratio": "16:9",
    } | overrides


def post_job(simulator: SimulatorServer, headers=AUTH, **overrides: object) -> httpx.Response:
    return httpx.post(
        f"{simulator.url}/v1/videos/generations", json=order(**overrides), headers=headers
    )


def poll(simulator: SimulatorServer, job_id: str, headers=AUTH) -> httpx.Response:
    return httpx.get(f"{simulator.url}/v1/jobs/{job_id}", headers=headers)


def complete_now(simulator: SimulatorServer, job_id: str) -> dict:
    response = httpx.post(f"{simulator.url}/_sim/jobs/{job_id}/complete-now")
    response.raise_for_status()
    return response.json()


def control(simulator: SimulatorServer, path: str, payload: dict | None = None) -> httpx.Response:
    return httpx.post(f"{simulator.url}/_sim/{path}", json=payload or {})


def video_url(record: dict) -> str:
    return record["result"].get("url") or record["result"]["file_url"]


# Rate limit, 304s, keys.


def test_over_the_rate_limit_answers_429_with_retry_after(simulator):
    simulator.configure(rpm=2)
    job_id = post_job(simulator).json()["id"]
    assert poll(simulator, job_id).status_code == 200

    limited = poll(simulator, job_id)

    assert limited.status_code == 429
    assert limited.json()["error"]["type"] == "rate_limit_error"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert simulator.state()["rate_limited"] == 1


def test_each_key_has_its_own_rate_limit(simulator):
    simulator.configure(rpm=1)
    assert post_job(simulator).status_code == 202
    assert post_job(simulator).status_code == 429

    assert post_job(simulator, headers={"Authorization": "Bearer sk-aig-other"}).status_code == 202


def test_the_fullest_rate_window_of_any_key_is_counted(simulator):
    """How close the callers came to the limit (bench.machines holds it against the budget)."""
    simulator.configure(rpm=3)
    for _ in range(3):
        post_job(simulator)
    post_job(simulator, headers={"Authorization": "Bearer sk-aig-other"})
    assert simulator.state()["rate_window_peak"] == 3

    assert post_job(simulator).status_code == 429  # refused: not in the window

    assert simulator.state()["rate_window_peak"] == 3


def test_early_poll_gets_304_with_an_empty_body(simulator):
    simulator.configure(min_poll_interval=3)
    job_id = post_job(simulator).json()["id"]

    first, second = poll(simulator, job_id), poll(simulator, job_id)

    assert first.status_code == 200
    assert second.status_code == 304 and second.content == b""
    assert simulator.state()["not_modified"] == 1


def test_a_job_is_visible_only_to_its_own_key(simulator):
    job_id = post_job(simulator).json()["id"]

    assert (
        poll(simulator, job_id, headers={"Authorization": "Bearer sk-aig-other"}).status_code == 404
    )


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer sk-live-123"}])
def test_missing_or_foreign_key_answers_401(simulator, headers):
    response = post_job(simulator, headers=headers)

    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"


# Money.


def test_billing_happens_only_on_completion(simulator):
    simulator.configure(faults=["fail-marker:content_policy:[blocked]"], run_seconds=30)
    start = simulator.state()["wallet_cents"]
    completed = post_job(simulator, duration=3).json()["id"]
    failed = post_job(simulator, prompt="[blocked] soda").json()["id"]
    cancelled = post_job(simulator, prompt="other").json()["id"]
    httpx.post(f"{simulator.url}/v1/jobs/{cancelled}/cancel", headers=AUTH).raise_for_status()
    assert simulator.state()["billed_cents_total"] == 0

    complete_now(simulator, completed)
    complete_now(simulator, failed)

    state = simulator.state()
    billed = {job["id"]: (job["status"], job["billed_cents"]) for job in state["jobs"]}
    assert billed == {
        completed: ("completed", 120),
        failed: ("failed", 0),
        cancelled: ("cancelled", 0),
    }
    assert state["billed_cents_total"] == 120
    assert state["wallet_cents"] == start - 120


def test_a_wallet_too_low_for_the_clip_answers_402(simulator):
    simulator.configure(wallet_cents=100)

    too_long = post_job(simulator, duration=3)
    fits = post_job(simulator, duration=2)
    # The running job's 80 cents are spoken for: 20 are left.
    no_longer_fits = post_job(simulator, duration=1)

    assert too_long.status_code == 402
    assert too_long.json()["error"]["type"] == "insufficient_credits"
    assert fits.status_code == 202
    assert no_longer_fits.status_code == 402


def test_unsupported_aspect_ratio_answers_400_with_the_reason(simulator):
    response = post_job(simulator, aspect_ratio="1:1")

    assert response.status_code == 400
    assert "16:9 and 9:16" in response.json()["error"]["message"]


# Faults and the control API.


def test_faults_set_over_the_control_api_hit_the_next_requests(simulator):
    answer = control(simulator, "config", {"faults": ["submit:503:2"]})
    assert answer.json()["faults"] == [{"spec": "submit:503:2", "remaining": 2}]

    statuses = [post_job(simulator).status_code for _ in range(3)]

    assert statuses == [503, 503, 202]
    assert simulator.state()["faults"] == []


def test_a_bad_fault_spec_is_refused_with_the_reason(simulator):
    response = control(simulator, "config", {"faults": ["submit:teapot"]})

    assert response.status_code == 400
    assert "unknown fault kind" in response.json()["error"]["message"]


def test_500_after_creating_the_job_leaves_a_job_behind(simulator):
    control(simulator, "config", {"faults": ["submit:500-after"]})

    response = post_job(simulator)

    assert response.status_code == 500
    assert simulator.state()["accepted"] == 1


def test_500_before_creating_the_job_leaves_nothing(simulator):
    control(simulator, "config", {"faults": ["submit:500"]})

    assert post_job(simulator).status_code == 500
    assert simulator.state()["accepted"] == 0


def test_reset_forgets_jobs_counts_and_changes(simulator):
    simulator.configure(rpm=5)
    post_job(simulator)

    state = control(simulator, "reset").json()

    assert state["jobs"] == [] and state["requests"]["submit"] == 0
    assert state["config"]["rpm"] == 600


def test_ignoring_idempotency_keys_is_possible_and_counted(simulator):
    simulator.configure(honour_idempotency_key=False)
    headers = AUTH | {"Idempotency-Key": "clip-1"}

    first, second = post_job(simulator, headers=headers), post_job(simulator, headers=headers)

    assert first.json()["id"] != second.json()["id"]
    assert simulator.state()["accepted_per_idempotency_key"] == {"clip-1": 2}


# The video files.


@pytest.mark.parametrize(
    ("aspect_ratio", "duration", "size"), [("16:9", 3, (1280, 720)), ("9:16", 1, (720, 1280))]
)
def test_rendered_mp4_has_the_requested_duration_and_shape(
    simulator, tmp_path, aspect_ratio, duration, size
):
    job_id = post_job(simulator, aspect_ratio=aspect_ratio, duration=duration).json()["id"]
    record = complete_now(simulator, job_id)
    path = tmp_path / "take.mp4"
    path.write_bytes(httpx.get(video_url(record)).content)

    info = probe_video(path)

    assert abs(info.duration - duration) <= Decimal("0.1")
    assert (info.width, info.height) == size
    assert record["result"]["resolution"] == f"{size[0]}x{size[1]}"
    assert info.audio is not None
    data = path.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat"), "not +faststart"


def test_a_prompt_full_of_filter_syntax_still_renders(simulator, tmp_path):
    prompt = 'It\'s 50% off: [now], "really"; C:\\sale\\%{pts} ' + "long words " * 60
    job_id = post_job(simulator, prompt=prompt).json()["id"]

    record = complete_now(simulator, job_id)

    assert record["status"] == "completed"


def test_media_answers_range_requests(simulator):
    record = complete_now(simulator, post_job(simulator).json()["id"])
    whole = httpx.get(video_url(record))

    first_bytes = httpx.get(video_url(record), headers={"Range": "bytes=0-99"})
    last_bytes = httpx.get(video_url(record), headers={"Range": "bytes=-10"})
    beyond = httpx.get(video_url(record), headers={"Range": f"bytes={len(whole.content)}-"})

    assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
    assert first_bytes.status_code == 206
    assert first_bytes.content == whole.content[:100]
    assert first_bytes.headers["Content-Range"] == f"bytes 0-99/{len(whole.content)}"
    assert last_bytes.content == whole.content[-10:]
    assert beyond.status_code == 416


def test_media_url_with_a_changed_signature_is_forbidden(simulator):
    record = complete_now(simulator, post_job(simulator).json()["id"])
    url = video_url(record)

    tampered = httpx.get(url[:-4] + ("0000" if not url.endswith("0000") else "1111"))
    later = httpx.get(url.replace("expires=", "expires=9"))

    assert tampered.status_code == 403
    assert later.status_code == 403


def test_media_requests_are_counted_by_the_host_they_were_sent_to(simulator):
    """Two workers reaching the gateway by different names are told apart (bench.machines)."""
    record = complete_now(simulator, post_job(simulator).json()["id"])
    url = video_url(record)
    port = url.split("/")[2].split(":")[1]

    httpx.get(url)
    httpx.get(url, headers={"Host": f"localhost:{port}"})
    httpx.get(url, headers={"Host": f"localhost:{port}"})

    state = simulator.state()
    assert state["media_by_host"] == {f"127.0.0.1:{port}": 1, f"localhost:{port}": 2}
    assert state["requests"]["media"] == 3


# Webhooks.


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[str, queue.Queue]]:
    received: queue.Queue = queue.Queue()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.put((self.headers, body))  # case-insensitive, as HTTP headers are
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/aigateway", received
    server.shutdown()
    server.server_close()


def test_finished_job_sends_a_signed_webhook(simulator, webhook_receiver):
    url, received = webhook_receiver
    simulator.configure(webhook_secret="whsec_test")
    job_id = post_job(simulator, webhook_url=url).json()["id"]

    complete_now(simulator, job_id)
    headers, body = received.get(timeout=5)

    expected = hmac.new(
        b"whsec_test", f"{headers['aig-timestamp']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(headers["aig-signature"], expected)
    event = json.loads(body)
    assert event["type"] == "job.completed"
    assert event["data"]["job_id"] == job_id
    assert event["data"]["usage"] == {"cost_cents": 80}
    assert event["data"]["result_url"].startswith(simulator.url)


# The command line.


def test_the_cli_serves_with_its_options_and_stops_on_sigterm():
    with simulator_subprocess(queue_seconds=0.1, faults=["submit:503"]) as simulator:
        refused = httpx.post(f"{simulator.url}/v1/videos/generations", json=order(), headers=AUTH)
        state = simulator.configure(rpm=7)

    assert refused.status_code == 503
    assert state["config"]["queue_seconds"] == 0.1
    assert state["config"]["rpm"] == 7
    assert simulator.process.returncode == 0
