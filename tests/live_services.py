"""Real services for the integration and browser tests: Redis, a Celery worker process and the
gateway simulator as its own process, all on this machine, all stopped at the end. Every process
started here dies with the test process, should that be killed (devtools.processes)."""

import contextlib
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from devtools import processes
from devtools.processes import free_port, redis_answers, wait_until_ready

# A redis-server of the test's own on a free port, so that two test runs on one machine never
# share a queue. There is no fallback to another Redis: a flush there would reach what others keep.
redis_server = processes.redis_server


def worker_environment(*, broker_url: str, gateway_url: str) -> dict[str, str]:
    """What a worker process needs to share this test's database, media and gateway."""
    database = settings.DATABASES["default"]
    env = dict(os.environ)
    if database["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{database['NAME']}"
    else:
        host = database["HOST"] or "127.0.0.1"
        env["DATABASE_URL"] = (
            f"postgres://{database['USER']}:{database['PASSWORD']}@{host}"
            f":{database['PORT'] or 5432}/{database['NAME']}"
        )
    env.update(
        CELERY_BROKER_URL=broker_url,
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        AIGATEWAY_BASE_URL=gateway_url,
        AIGATEWAY_API_KEY="sk-aig-test",
        AIGATEWAY_SIMULATED="1",
        DEBUG="1",
    )
    return env


def machine_environment(
    env: dict[str, str], root: Path, *, gateway_url: str | None = None
) -> dict[str, str]:
    """`env` for a worker on a machine of its own: a local disk of its own under `root` (media,
    temporary files, var), which no other worker sees; the database, the broker and the object
    store stay shared as `env` has them. `gateway_url` is how this machine names the gateway."""
    disk = {"MEDIA_ROOT": root / "media", "TMPDIR": root / "tmp", "STUDIO_VAR_DIR": root / "var"}
    for folder in disk.values():
        folder.mkdir(parents=True, exist_ok=True)
    machine = {name: str(folder) for name, folder in disk.items()}
    if gateway_url is not None:
        machine["AIGATEWAY_BASE_URL"] = gateway_url
    return env | machine


@contextmanager
def celery_worker(
    env: dict[str, str], *, beat: bool = True, name: str = "worker"
) -> Iterator[subprocess.Popen[bytes]]:
    """A worker with beat inside it unless told otherwise: beat runs the dispatcher that hands
    out every poll (and the sweep), so without it a take is submitted and never polled. Its log
    is `<name>.log` beside MEDIA_ROOT, shown in the report of a test that fails (conftest.py)."""
    command = processes.celery_worker_command(hostname=f"{name}-{os.getpid()}@%h", beat=beat)
    log = Path(env["MEDIA_ROOT"]).parent / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = processes.start(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_until_ready("celery worker", lambda: b" ready." in log.read_bytes(), timeout=60)
            yield process
        finally:
            processes.stop(process)


@contextmanager
def celery_beat(env: dict[str, str], *, name: str = "beat") -> Iterator[subprocess.Popen[bytes]]:
    """`celery beat` as a process of its own, as compose and `make run` run it. Its log is
    `<name>.log` beside MEDIA_ROOT."""
    log = Path(env["MEDIA_ROOT"]).parent / f"{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = processes.celery_beat_command()
    with log.open("wb") as output:
        process = processes.start(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_until_ready(
                "celery beat", lambda: b"beat: Starting..." in log.read_bytes(), timeout=60
            )
            yield process
        finally:
            processes.stop(process)


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Point this process's Celery app at the test's broker. Its connection and producer pools
    (kombu keeps them in a process-wide registry) are bound to the first broker they met, so
    they are dropped on the way in and out."""
    from kombu import pools

    from studio.celery import app

    def drop_pools() -> None:
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    # Celery prefers the CELERY_BROKER_URL environment variable to its configuration.
    before = os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = app.conf.broker_url = url
    drop_pools()
    try:
        yield
    finally:
        if before is None:
            del os.environ["CELERY_BROKER_URL"]
        else:
            os.environ["CELERY_BROKER_URL"] = app.conf.broker_url = before
        drop_pools()


# Processes a test may crash and start again (tests/integration/test_recovery.py).


class RestartableRedis:
    """A redis-server of the test's own, on a port of its own (never the machine's Redis), that
    the test may kill and start again on the same port. Nothing is persisted, so a restart loses
    every message in it, as a crashed broker without persistence would."""

    def __init__(self) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("The recovery tests need the redis-server binary.")
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        command = processes.redis_server_command(self.port)
        self.process = processes.start(command, stdout=subprocess.DEVNULL)
        wait_until_ready("redis-server", lambda: redis_answers(self.url()), timeout=20)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@contextmanager
def restartable_redis() -> Iterator[RestartableRedis]:
    server = RestartableRedis()
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            processes.stop(server.process, grace=10)


class KillableWorker:
    """A Celery worker (with beat, if asked) in a process group of its own: `kill()` ends it,
    pool children, beat and any ffmpeg they started, at once, as a crash or an OOM kill would.
    Each start begins its log afresh."""

    def __init__(self, env: dict[str, str], *, name: str, beat: bool = False) -> None:
        self.env = env
        self.name = name
        self.beat = beat
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(env["MEDIA_ROOT"]).parent / f"{name}.log"

    def start(self) -> None:
        command = processes.celery_worker_command(
            hostname=f"{self.name}-{os.getpid()}@%h", beat=self.beat
        )
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as output:
            self.process = processes.start(
                command, env=self.env, stdout=output, stderr=subprocess.STDOUT, new_session=True
            )
        wait_until_ready("celery worker", lambda: b" ready." in self.log.read_bytes(), timeout=60)

    def exited(self) -> bool:
        """It ended by itself (it was not killed or stopped here)."""
        return self.process is not None and self.process.poll() is not None

    def kill(self, signal_number: int = signal.SIGKILL) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal_number)
        self.process.wait(15)
        self.process = None

    def stop(self) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL for whatever is left of the group."""
        if self.process is None:
            return
        pid = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)  # stragglers: pool children, beat, ffmpeg
        self.process.wait(15)
        self.process = None


@contextmanager
def killable_workers(
    env: dict[str, str], *, beat: bool = False
) -> Iterator[Callable[[str], KillableWorker]]:
    """`start(name)` starts one more worker; every worker started is stopped at the end."""
    workers: list[KillableWorker] = []

    def start(name: str) -> KillableWorker:
        worker = KillableWorker(env, name=name, beat=beat)
        workers.append(worker)
        worker.start()
        return worker

    try:
        yield start
    finally:
        for worker in workers:
            worker.stop()
