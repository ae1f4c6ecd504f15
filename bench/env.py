"""The bench's own world, set up before Django starts: a temporary SQLite file in WAL mode (never
var/studio.sqlite3), a redis-server of its own (database 0 the broker, 1 the request budget; never
the machine's Redis), media in a temporary folder. A worker process started by the bench gets the
same environment."""

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from devtools.processes import redis_server

API_KEY = "sk-aig-bench"
WEBHOOK_SECRET = "bench-webhook-secret"  # noqa: S105 -- shared with the bench's own simulator


@contextmanager
def prepared(
    *, rpm: int, keep: bool = False, gateway_url: str = "http://127.0.0.1:9"
) -> Iterator[Path]:
    """Point this process at the bench's database, Redis and media; yields the work folder,
    removed at the end unless `keep`. Must run before django.setup(); the gateway URL is set
    again once the simulator is up."""
    workdir = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    with contextlib.ExitStack() as cleanup:
        if keep:
            cleanup.callback(print, f"kept {workdir}")
        else:
            cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
        url = cleanup.enter_context(redis_server(workdir=workdir))
        base = url.rsplit("/", 1)[0]
        os.environ.update(
            DJANGO_SETTINGS_MODULE="studio.settings",
            DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
            STUDIO_VAR_DIR=str(workdir),
            MEDIA_ROOT=str(workdir / "media"),
            CELERY_BROKER_URL=f"{base}/0",
            STUDIO_BUDGET_REDIS_URL=f"{base}/1",
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
        yield workdir


def budget_url() -> str:
    """The request budget's Redis (once `prepared`); part 2 keeps its measurements there too."""
    return os.environ["STUDIO_BUDGET_REDIS_URL"]


def flush_redis() -> None:
    for url in (os.environ["CELERY_BROKER_URL"], budget_url()):
        redis.Redis.from_url(url).flushdb()
