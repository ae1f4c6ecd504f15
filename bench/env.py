"""The bench's own world, set up before Django starts: a temporary SQLite file in WAL mode (never
var/studio.sqlite3), Redis databases 8 (broker) and 9 (request budget) flushed at start, media in
a temporary folder. A worker process started by the bench gets the same environment."""

import os
import tempfile
from pathlib import Path

import redis

REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379")
BROKER_URL = f"{REDIS}/8"
BUDGET_URL = f"{REDIS}/9"
API_KEY = "sk-aig-bench"
WEBHOOK_SECRET = "bench-webhook-secret"  # noqa: S105 -- shared with the bench's own simulator
ROOT = Path(__file__).resolve().parent.parent


def prepare(*, rpm: int, gateway_url: str = "http://127.0.0.1:9") -> Path:
    """Point this process at the bench's database, Redis and media; returns the work folder.
    Must run before django.setup(); the gateway URL is set again once the simulator is up."""
    workdir = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="studio.settings",
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        STUDIO_VAR_DIR=str(workdir),
        MEDIA_ROOT=str(workdir / "media"),
        CELERY_BROKER_URL=BROKER_URL,
        STUDIO_BUDGET_REDIS_URL=BUDGET_URL,
        AIGATEWAY_RPM=str(rpm),
        AIGATEWAY_BASE_URL=gateway_url,
        AIGATEWAY_API_KEY=API_KEY,
        AIGATEWAY_SIMULATED="1",
        # DEBUG off: with it on, every connection keeps its last 9,000 queries, which would
        # show up as growth in the worker's memory.
        DEBUG="0",
        SECRET_KEY="bench-only-" + "x" * 40,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="0",
        LOG_LEVEL="WARNING",
    )
    for url in (BROKER_URL, BUDGET_URL):
        redis.Redis.from_url(url).flushdb()
    return workdir


def flush_redis() -> None:
    for url in (BROKER_URL, BUDGET_URL):
        redis.Redis.from_url(url).flushdb()
