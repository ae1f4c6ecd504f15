import logging
import socket
from decimal import Decimal

import httpx
import pytest

from devtools.simulator import SimulatorServer
from studio.gateway import (
    AuthenticationError,
    GatewayClient,
    GatewayUnreachable,
    InsufficientCredits,
    InvalidRequest,
    JobStatus,
    NotFound,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    ServiceUnavailable,
    SubmitServerError,
    UnexpectedResponse,
    parse_job_record,
)
from tests.simulator_fixtures import TEST_API_KEY, poll_until_finished

pytest_plugins = ["tests.simulator_fixtures"]

VEO = "google/veo-3.1"


def submit(client: GatewayClient, **overrides: object):
    order = {
        "model": VEO,
        "prompt": "A drone shot of a mountain lake",
        "duration": 2,
        "aspect_ratio": "16:9",
        "idempotency_key": "clip-1",
    } | overrides
    return client.submit(**order)  # type: ignore[arg-type]


def client_for(transport_handler, **kwargs) -> GatewayClient:
    return GatewayClient(
        "https://gateway.test",
        TEST_API_KEY,
        transport=httpx.MockTransport(transport_handler),
        **kwargs,
    )


# Job lifecycle, against the real simulator.


def test_job_goes_queued_running_completed_with_a_video(gateway_client):
    submitted = submit(gateway_client, duration=3)

    records = poll_until_finished(gateway_client, submitted.id)

    assert submitted.status == JobStatus.QUEUED
    statuses = [record.status for record in records]
    assert JobStatus.RUNNING in statuses
    final = records[-1]
    assert final.status == JobStatus.COMPLETED
    assert final.video_url is not None and final.video_url.startswith("http://127.0.0.1:")
    assert final.video_duration == Decimal(3)
    assert final.resolution == "1280x720"
    assert final.cost_cents == 120
    assert final.model == VEO


def test_both_record_shapes_are_read(simulator, gateway_client):
    simulator.configure(queue_seconds=0, run_seconds=30)
    model_page_job = submit(gateway_client, idempotency_key="a")
    docs_job = submit(gateway_client, idempotency_key="b")

    running = [gateway_client.get_job(job.id) for job in (model_page_job, docs_job)]
    for job in (model_page_job, docs_job):
        httpx.post(f"{simulator.url}/_sim/jobs/{job.id}/complete-now").raise_for_status()
    completed = [gateway_client.get_job(job.id) for job in (model_page_job, docs_job)]

    assert [record.raw["status"] for record in running] == ["processing", "running"]
    assert [record.status for record in running] == [JobStatus.RUNNING, JobStatus.RUNNING]
    assert "url" in completed[0].raw["result"]
    assert "file_url" in completed[1].raw["result"]
    assert all(record.video_url for record in completed)


def test_poll_within_min_interval_returns_none(simulator, gateway_client):
    simulator.configure(min_poll_interval=3)
    job = submit(gateway_client)

    first = gateway_client.get_job(job.id)
    second = gateway_client.get_job(job.id)

    assert first is not None and first.id == job.id
    assert second is None


def test_failed_job_carries_code_and_message(simulator, gateway_client):
    simulator.configure(faults=["fail:content_policy"])
    job = submit(gateway_client)

    final = poll_until_finished(gateway_client, job.id)[-1]

    assert final.status == JobStatus.FAILED
    assert final.error_code == "content_policy"
    assert final.error_message == "The prompt was blocked by the provider's safety filter."
    assert final.video_url is None
    assert final.cost_cents is None


def test_cancel_ends_the_job_cancelled(simulator, gateway_client):
    simulator.configure(run_seconds=30)
    job = submit(gateway_client)

    cancelled = gateway_client.cancel(job.id)

    assert cancelled.status == JobStatus.CANCELLED
    assert gateway_client.get_job(job.id).status == JobStatus.CANCELLED


def test_same_idempotency_key_twice_yields_one_job(simulator, gateway_client):
    first = submit(gateway_client, idempotency_key="clip-42")
    second = submit(gateway_client, idempotency_key="clip-42")

    assert second.id == first.id
    state = simulator.state()
    assert state["accepted"] == 1
    assert state["accepted_per_idempotency_key"] == {"clip-42": 1}


# One test per row of the contract's error table.


def test_wrong_key_raises_authentication_error(simulator):
    with (
        GatewayClient(simulator.url, "not-a-gateway-key") as client,
        pytest.raises(AuthenticationError) as raised,
    ):
        submit(client)

    assert raised.value.status == 401
    assert raised.value.error_type == "authentication_error"
    assert not raised.value.retryable


def test_empty_wallet_raises_insufficient_credits_in_plain_words(simulator):
    with (
        GatewayClient(simulator.url, "sk-aig-broke") as client,
        pytest.raises(InsufficientCredits) as raised,
    ):
        submit(client)

    assert raised.value.status == 402
    assert "top up" in raised.value.message
    assert not raised.value.retryable


def test_unknown_model_raises_not_found(gateway_client):
    with pytest.raises(NotFound) as raised:
        submit(gateway_client, model="acme/unknown-model")

    assert raised.value.status == 404


def test_unknown_job_raises_not_found(gateway_client):
    with pytest.raises(NotFound):
        gateway_client.get_job("job_doesnotexist")


@pytest.mark.parametrize(
    ("change", "reason"),
    [({"aspect_ratio": "1:1"}, "16:9 and 9:16"), ({"duration": 61}, "1 to 60")],
)
def test_unsupported_order_raises_invalid_request_with_the_reason(gateway_client, change, reason):
    with pytest.raises(InvalidRequest) as raised:
        submit(gateway_client, **change)

    assert raised.value.status == 400
    assert reason in str(raised.value)


def test_rate_limit_raises_rate_limited_with_retry_after(simulator, gateway_client):
    simulator.configure(rpm=1)
    submit(gateway_client)

    with pytest.raises(RateLimited) as raised:
        submit(gateway_client, idempotency_key="clip-2")

    assert raised.value.status == 429
    assert raised.value.retryable
    assert 1 <= raised.value.retry_after <= 60


@pytest.mark.parametrize("header", [None, "soon"])
def test_rate_limited_without_usable_retry_after_still_waits(header):
    headers = {"Retry-After": header} if header else {}
    client = client_for(lambda request: httpx.Response(429, headers=headers))
    with client, pytest.raises(RateLimited) as raised:
        client.get_job("job_1")

    assert raised.value.retry_after == 5.0


def test_server_error_on_poll_is_retryable(simulator, gateway_client):
    job = submit(gateway_client)
    simulator.configure(faults=["poll:500"])

    with pytest.raises(ServerError) as raised:
        gateway_client.get_job(job.id)

    assert raised.value.retryable
    assert not isinstance(raised.value, OutcomeUnknown)


def test_server_error_on_submit_means_the_job_may_exist(simulator, gateway_client):
    simulator.configure(faults=["submit:500-after"])

    with pytest.raises(SubmitServerError) as raised:
        submit(gateway_client)

    assert isinstance(raised.value, ServerError)
    assert isinstance(raised.value, OutcomeUnknown)
    assert not raised.value.retryable
    assert simulator.state()["accepted"] == 1


def test_service_unavailable_on_submit_is_retryable_and_created_nothing(simulator, gateway_client):
    simulator.configure(faults=["submit:503"])

    with pytest.raises(ServiceUnavailable) as raised:
        submit(gateway_client)

    assert raised.value.retryable
    assert raised.value.retry_after == 1.0
    assert simulator.state()["accepted"] == 0


def test_unexpected_status_raises_unexpected_response():
    client = client_for(lambda request: httpx.Response(418, text="I'm a teapot"))
    with client, pytest.raises(UnexpectedResponse) as raised:
        client.get_job("job_1")

    assert raised.value.status == 418
    assert not raised.value.retryable


def test_unreadable_poll_answer_raises_unexpected_response():
    client = client_for(lambda request: httpx.Response(200, text="<html>"))
    with client, pytest.raises(UnexpectedResponse):
        client.get_job("job_1")


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(202, text="<html>"), httpx.Response(504, text="Gateway Timeout")],
)
def test_submit_answer_that_hides_the_job_raises_outcome_unknown(answer):
    with client_for(lambda request: answer) as client, pytest.raises(OutcomeUnknown) as raised:
        submit(client)

    assert not raised.value.retryable


# Transport failures.


def test_dropped_submit_after_the_job_was_created_raises_outcome_unknown(simulator, gateway_client):
    simulator.configure(faults=["submit:drop-after"])

    with pytest.raises(OutcomeUnknown) as raised:
        submit(gateway_client)

    assert not raised.value.retryable
    assert simulator.state()["accepted"] == 1


def test_slow_submit_that_times_out_raises_outcome_unknown(simulator):
    simulator.configure(faults=["submit:slow=1.5"])

    with (
        GatewayClient(simulator.url, TEST_API_KEY, timeout=0.3) as client,
        pytest.raises(OutcomeUnknown),
    ):
        submit(client)

    assert simulator.state()["accepted"] == 1


def test_dropped_poll_raises_outcome_unknown_that_may_be_retried(simulator, gateway_client):
    job = submit(gateway_client)
    simulator.configure(faults=["poll:drop"])

    with pytest.raises(OutcomeUnknown) as raised:
        gateway_client.get_job(job.id)

    assert raised.value.retryable


def test_connection_refused_raises_gateway_unreachable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    with (
        GatewayClient(f"http://127.0.0.1:{free_port}", TEST_API_KEY) as client,
        pytest.raises(GatewayUnreachable) as raised,
    ):
        submit(client)

    assert raised.value.retryable


def test_api_key_appears_in_no_log_and_no_repr(simulator: SimulatorServer, caplog):
    caplog.set_level(logging.DEBUG)
    with GatewayClient(simulator.url, "sk-aig-secret-value") as client:
        job = submit(client)
        client.get_job(job.id)
        text = caplog.text + repr(client)

    assert "sk-aig-secret-value" not in text


def test_requests_carry_bearer_key_and_idempotency_key():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202, json={"id": "job_1", "status": "queued"})

    with client_for(answer) as client:
        submit(client, idempotency_key="clip-7")

    assert seen[0].headers["Authorization"] == f"Bearer {TEST_API_KEY}"
    assert seen[0].headers["Idempotency-Key"] == "clip-7"


# Parsing records, from the contract's own examples.


def test_model_page_record_is_read():
    record = parse_job_record(
        {
            "id": "job_abc123",
            "status": "completed",
            "result": {
                "url": "https://media.example/abc.mp4",
                "duration": 5,
                "resolution": "1920x1080",
            },
        }
    )

    assert record.status == JobStatus.COMPLETED
    assert record.video_url == "https://media.example/abc.mp4"
    assert record.video_duration == Decimal(5)
    assert record.model is None


def test_docs_record_is_read():
    record = parse_job_record(
        {"id": "job_1", "status": "running", "model": VEO, "created": 1776947082}
    )

    assert record.status == JobStatus.RUNNING
    assert record.created == 1776947082


@pytest.mark.parametrize(
    "garbage",
    [
        [],
        {"status": "queued"},
        {"id": "job_1", "status": "exploded"},
        {"id": "job_1", "status": "completed", "result": "https://x"},
        {"id": "job_1", "status": "completed", "result": {"duration": "long"}},
    ],
)
def test_garbage_record_raises_unexpected_response(garbage):
    with pytest.raises(UnexpectedResponse):
        parse_job_record(garbage)
