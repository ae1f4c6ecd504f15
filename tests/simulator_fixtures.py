"""Pytest fixtures for the gateway simulator, for any test that needs a gateway on a real port.

- `simulator`: an in-process SimulatorServer on a free port with fast timings, stopped afterwards.
  Override the `simulator_config` fixture to start it differently, or call
  `simulator.configure(min_poll_interval=3)` during the test.
- `gateway_client`: a GatewayClient pointed at it with the key "sk-aig-test".
- `simulator_subprocess(**settings)`: `python -m devtools.simulator` as a separate process, for
  integration tests whose Celery workers run in other processes too.

Test modules both import helpers from here and load it as a plugin, so pytest would warn that it
was imported before it could rewrite its asserts; it has none worth rewriting: PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.processes import gateway_simulator
from devtools.simulator import SimulatorConfig, SimulatorServer
from studio.gateway import GatewayClient, JobRecord

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
    with gateway_simulator(timeout=startup_timeout, **settings) as (url, process):
        httpx.get(f"{url}/_sim/state", timeout=startup_timeout).raise_for_status()
        yield SimulatorProcess(url, process)
