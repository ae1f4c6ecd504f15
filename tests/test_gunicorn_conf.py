"""gunicorn.conf.py, loaded the way gunicorn loads it: its values with and without the
environment, and gunicorn's own --check-config accepts it with the studio's app."""

import os
import subprocess
import sys
from pathlib import Path

from gunicorn.app.base import Application

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "gunicorn.conf.py"
ENV = ("PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "FORWARDED_ALLOW_IPS")


class Loaded(Application):
    """gunicorn's Application without a command line: only the file, as `-c` reads it."""

    def load_config(self):
        self.load_config_from_file(str(CONF))

    def load(self):
        return None


def loaded(monkeypatch, **env: str):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Loaded().cfg


def test_defaults_suit_a_threaded_worker_behind_the_proxy(monkeypatch):
    cfg = loaded(monkeypatch)
    assert cfg.bind == ["0.0.0.0:8000"]
    assert cfg.worker_class_str == "gthread" and cfg.threads == 4
    assert cfg.timeout >= 120  # a 30 MB music bed at 2 Mbit/s
    assert cfg.graceful_timeout == 30 and cfg.keepalive == 5
    assert cfg.forwarded_allow_ips == ["127.0.0.1"]
    assert cfg.accesslog == "-"


def test_the_environment_sets_port_processes_threads_and_trusted_proxies(monkeypatch):
    cfg = loaded(
        monkeypatch,
        PORT="9001",
        WEB_CONCURRENCY="3",
        GUNICORN_THREADS="8",
        GUNICORN_TIMEOUT="300",
        FORWARDED_ALLOW_IPS="172.18.0.0/16",
    )
    assert cfg.bind == ["0.0.0.0:9001"]
    assert (cfg.workers, cfg.threads, cfg.timeout) == (3, 8, 300)
    assert cfg.forwarded_allow_ips == ["172.18.0.0/16"]


def test_gunicorn_check_config_accepts_the_file_and_the_app():
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    env |= {"DEBUG": "1", "SECRET_KEY": "check-config-only"}
    gunicorn = Path(sys.executable).parent / "gunicorn"
    result = subprocess.run(
        [str(gunicorn), "--check-config", "-c", str(CONF), "studio.wsgi:application"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_a_process_per_core_and_one_more_at_most_twelve(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    assert loaded(monkeypatch).workers == 3  # the bench's machine: 57 ms p95 where 5 had 390
    monkeypatch.setattr(os, "cpu_count", lambda: 32)
    assert loaded(monkeypatch).workers == 12  # within PostgreSQL's connections
