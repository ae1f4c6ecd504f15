"""Pytest fixtures for the gateway simulator, for any test that needs a gateway on a real port.

- `simulator`: an in-process SimulatorServer on a free port with fast timings, stopped afterwards.
  Override the `simulator_config` fixture to start it differently, or call
  `simulator.configure(min_poll_interval=3)` during the test.
- `gateway_client`: a GatewayClient pointed at it with the key "sk-aig-test".
- `simulator_subprocess(**settings)`: `python -m studio.simulator` as a separate process, for
  integration tests whose Celery workers run in other processes too.

Test modules both import helpers from here and load it as a plugin, so pytest would warn that it
was imported before it could rewrite its asserts; it has none worth rewriting: PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import httpx
import pytest

from studio.gateway import GatewayClient, JobRecord
from studio.simulator import SimulatorConfig, SimulatorServer

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_API_KEY = "sk-aig-test"

# Fast enough for unit tests, slow enough to see each status; no 304s unless a test asks.
FAST_SETTINGS: dict[str, Any] = {
    "queue_seconds": 0.2,
    "run_seconds": 0.5,
    "run_seconds_per_video_second": 0.0,
    "min_poll_interval": 0.0,
}


@pytest.fixture
def simulator_config(tmp_path: Path) -> SimulatorConfig:
    return SimulatorConfig(**FAST_SETTINGS, media_dir=str(tmp_path / "simulator-media"))


@pytest.fixture
def simulator(simulator_config: SimulatorConfig) -> Iterator[SimulatorServer]:
    with SimulatorServer(config=simulator_config) as server:
        yield server


@pytest.fixture
def gateway_client(simulator: SimulatorServer) -> Iterator[GatewayClient]:
    with GatewayClient(simulator.url, TEST_API_KEY, timeout=5.0) as client:
        yield client


def poll_until_finished(
    client: GatewayClient, job_id: str, *, timeout: float = 10.0
) -> list[JobRecord]:
    """Poll every 50 ms until the job ends; every record seen (304s skipped), the last one final."""
    records: list[JobRecord] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = client.get_job(job_id)
        if record is not None:
            records.append(record)
            if record.status.is_terminal:
                return records
        time.sleep(0.05)
    seen = [str(record.status) for record in records]
    raise AssertionError(f"job {job_id} did not finish within {timeout} s; seen: {seen}")


@dataclass(frozen=True)
class SimulatorProcess:
    url: str
    process: subprocess.Popen[str]

    def configure(self, **changes: Any) -> dict[str, Any]:
        """POST /_sim/config; returns the new state."""
        response = httpx.post(f"{self.url}/_sim/config", json=changes)
        response.raise_for_status()
        return response.json()

    def state(self) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/_sim/state")
        response.raise_for_status()
        return response.json()


@contextmanager
def simulator_subprocess(
    *, startup_timeout: float = 15.0, **settings: Any
) -> Iterator[SimulatorProcess]:
    """Run the simulator CLI on a free port; `settings` are SimulatorConfig fields.

    The CLI's defaults apply to everything not given (they are the live demo's timings).

    Example: `with simulator_subprocess(queue_seconds=0.2, faults=["submit:500-after"]) as sim:`
    """
    command = [
        sys.executable,
        "-m",
        "studio.simulator",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--quiet",
        *_cli_options(settings),
    ]
    with tempfile.TemporaryFile("w+") as stderr:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
        try:
            url = _announced_url(process, stderr, time.monotonic() + startup_timeout)
            httpx.get(f"{url}/_sim/state", timeout=startup_timeout).raise_for_status()
            yield SimulatorProcess(url, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout:
                process.stdout.close()


def _cli_options(settings: dict[str, Any]) -> list[str]:
    options: list[str] = []
    for name, value in settings.items():
        flag = "--" + name.replace("_", "-")
        if name == "faults":
            options += [item for spec in value for item in ("--fault", spec)]
        elif isinstance(value, bool):
            options.append(flag if value else flag.replace("--", "--no-", 1))
        elif value is not None:
            options += [flag, str(value)]
    return options


def _announced_url(process: subprocess.Popen[str], stderr: IO[str], deadline: float) -> str:
    """The URL from the simulator's one startup line, 'Gateway simulator listening on URL'."""
    if process.stdout is None:
        raise RuntimeError("the simulator's stdout is not piped")
    while time.monotonic() < deadline:
        readable, _, _ = select.select([process.stdout], [], [], 0.1)
        if readable:
            line = process.stdout.readline()
            if line.startswith("Gateway simulator listening on "):
                return line.rsplit(" ", 1)[1].strip()
        if process.poll() is not None:
            break
    stderr.seek(0)
    raise RuntimeError(f"the simulator did not start: {stderr.read()[-2000:]}")
