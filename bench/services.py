"""The processes the bench starts and stops: the gateway simulator, a Celery worker, and a
WSGI server for webhooks (a thread of the bench process)."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.env import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, *, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {seconds} s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Simulator:
    """`python -m studio.simulator` in its own process, so its HTTP threads do not share the
    bench's interpreter lock; controlled over its /_sim API."""

    def __init__(self, url: str, process: subprocess.Popen) -> None:
        self.url = url
        self.process = process
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
    port = free_port()
    command = [sys.executable, "-m", "studio.simulator", "--port", str(port), "--quiet"]
    for name, value in config.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    command += ["--media-dir", str(workdir / "simulator-media")]
    log = (workdir / "simulator.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    sim = Simulator(f"http://127.0.0.1:{port}", process)
    try:
        wait_for(lambda: sim.state() is not None, what="the gateway simulator")
        yield sim
    finally:
        sim.close()
        stop(process)
        log.close()


@contextmanager
def celery_worker(workdir: Path, env: dict[str, str]) -> Iterator[subprocess.Popen]:
    """One `celery worker --concurrency 2` (prefork) with the bench's time scale applied."""
    log_path = workdir / "worker.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.worker"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: b"bench worker ready." in log_path.read_bytes(),
                what="the celery worker",
                seconds=60,
            )
            yield process
        finally:
            stop(process)


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
    for each in [pid, *_descendants(pid)]:
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def _descendants(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, found):
            children += [child, *_descendants(child)]
    return children
