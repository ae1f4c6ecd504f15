"""The processes the bench starts and stops: the gateway simulator, a Celery worker, and a
WSGI server for webhooks (a thread of the bench process)."""

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from devtools.processes import (
    descendants,
    free_port,
    gateway_simulator,
    start,
    stop,
    wait_until_ready,
)


class Simulator:
    """`python -m devtools.simulator` in its own process, so its HTTP threads do not share the
    bench's interpreter lock; controlled over its /_sim API."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._http = httpx.Client(base_url=url, timeout=60)

    def reset(self, **config: Any) -> None:
        """Forget every job and count, then apply `config` (on top of the start settings)."""
        self._http.post("/_sim/reset").raise_for_status()
        if config:
            self._http.post("/_sim/config", json=config).raise_for_status()

    def state(self) -> dict[str, Any]:
        response = self._http.get("/_sim/state")
        response.raise_for_status()
        return response.json()

    def close(self) -> None:
        self._http.close()


@contextmanager
def simulator(workdir: Path, **config: Any) -> Iterator[Simulator]:
    media = str(workdir / "simulator-media")
    log = workdir / "simulator.log"
    with gateway_simulator(log=log, timeout=30, media_dir=media, **config) as (url, _):
        sim = Simulator(url)
        try:
            yield sim
        finally:
            sim.close()


@contextmanager
def celery_worker(workdir: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """One `celery worker --concurrency 2` (prefork), its settings from the environment."""
    log_path = workdir / "worker.log"
    with log_path.open("wb") as log:
        process = start(
            [sys.executable, "-m", "bench.worker"],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_ready(
                "the celery worker",
                lambda: b"bench worker ready." in log_path.read_bytes(),
                timeout=60,
                process=process,
                log=log_path,
            )
            yield process
        finally:
            stop(process, grace=20)


@contextmanager
def webhook_server() -> Iterator[str]:
    """The studio's WSGI app on a free port, in threads of this process; yields its origin."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadedWSGIServer(("127.0.0.1", free_port()), QuietHandler, allow_reuse_address=True)
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def rss_kib(pid: int) -> int:
    """VmRSS of a process and all its descendants (the prefork children), in KiB."""
    total = 0
    for each in [pid, *descendants(pid)]:
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total
