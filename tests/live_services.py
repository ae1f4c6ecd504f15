"""Real services for the integration and browser tests: Redis, a Celery worker process and the
gateway simulator as its own process, all on this machine, all stopped at the end."""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1).ping())
    except redis.RedisError:
        return False


@contextmanager
def redis_server() -> Iterator[str]:
    """The machine's Redis when it answers (a database of its own), else one started here."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    if redis_answers(url):
        redis.Redis.from_url(url).flushdb()
        yield url
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError(
            "The integration tests need Redis: install redis-server or set TEST_REDIS_URL."
        )
    port = free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for(lambda: redis_answers(url), what="redis-server")
        yield url
    finally:
        process.terminate()
        process.wait(10)


def wait_for(check, *, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {seconds} s")


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


@contextmanager
def celery_worker(env: dict[str, str], *, beat: bool = False) -> Iterator[subprocess.Popen]:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "studio",
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        "2",
        "--without-gossip",
        "--without-mingle",
        "--hostname",
        f"test-{os.getpid()}@%h",
    ]
    if beat:
        command += ["--beat", "--schedule", str(Path(env["MEDIA_ROOT"]).parent / "beat-schedule")]
    log = Path(env["MEDIA_ROOT"]).parent / "worker.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            wait_for(lambda: b"ready." in log.read_bytes(), what="celery worker", seconds=60)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.returncode not in (0, -15):
                print(log.read_text()[-4000:])


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
