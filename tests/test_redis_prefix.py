"""Every key the studio writes to Redis starts with STUDIO_REDIS_PREFIX: Celery's (through
kombu's `global_keyprefix`) and the request budget's. The Redis is the test session's own."""

import json
import os
import subprocess
import sys

import redis

from devtools.processes import BASE_DIR
from studio.celery import app
from studio.generation.budget import RequestBudget


def celery_options(**env: str) -> dict[str, dict[str, str]]:
    """The transport options a Celery process of the studio starts with, given `env`."""
    code = (
        "import json; from studio.celery import app; print(json.dumps({"
        "'broker': app.conf.broker_transport_options,"
        "'results': app.conf.result_backend_transport_options}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**os.environ, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_celery_keys_carry_the_prefix_on_a_redis_broker():
    options = celery_options(
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0", STUDIO_REDIS_PREFIX="acme-studio"
    )
    assert options["broker"] == {"global_keyprefix": "acme-studio:"}
    assert options["results"] == {"global_keyprefix": "acme-studio:"}


def test_the_prefix_defaults_to_the_studio_name():
    env = {name: value for name, value in os.environ.items() if name != "STUDIO_REDIS_PREFIX"}
    code = "from studio import settings; print(settings.STUDIO_REDIS_PREFIX)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={**env, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "veo-studio", result.stderr


def test_the_filesystem_broker_keeps_its_folders():
    options = celery_options(CELERY_BROKER_URL="filesystem://", STUDIO_REDIS_PREFIX="acme")
    assert "global_keyprefix" not in options["broker"]
    assert options["broker"]["data_folder_in"].endswith("broker")


def test_a_queued_task_is_stored_under_the_prefix(settings):
    app.send_task("studio.generation.tasks.submit_take", args=[0], queue="submits")

    keys = redis.Redis.from_url(settings.CELERY_BROKER_URL).keys("*")
    prefix = f"{settings.STUDIO_REDIS_PREFIX}:"
    assert f"{prefix}submits".encode() in keys
    assert [key for key in keys if not key.startswith(prefix.encode())] == []


def test_the_request_budget_keys_carry_the_prefix(settings):
    settings.STUDIO_REDIS_PREFIX = "acme-studio"
    budget = RequestBudget.from_settings()
    assert budget.acquire("submit") == 0.0

    keys = redis.Redis.from_url(settings.STUDIO_BUDGET_REDIS_URL).keys("*")
    assert keys
    assert all(key.startswith(b"acme-studio:gateway-budget:") for key in keys)
