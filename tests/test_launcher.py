"""The `make run` launcher's decisions, with nothing started but cheap processes.

No Django here: these run with `-p no:django` too. Children are this interpreter or redis-server.
"""

import io
import os
import shutil
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from studio import launcher

LOCAL_REDIS_URL = os.environ.get("REDIS_URL", launcher.DEFAULT_REDIS_URL)


@pytest.fixture
def silent_redis_url() -> str:
    # A port nobody listens on: the connection is refused at once.
    return f"redis://127.0.0.1:{launcher.free_port()}/0"


@pytest.fixture
def path_with_redis_server(tmp_path: Path) -> str:
    fake = tmp_path / "redis-server"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    return str(tmp_path)


@pytest.fixture
def supervisor():
    supervisor = launcher.Supervisor(out=io.StringIO(), grace=0.5)
    yield supervisor
    supervisor.stop_all()


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def is_gone(pid: int) -> bool:
    """True when the process no longer exists or is a zombie waiting for init to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except FileNotFoundError:
        return True


# --- Broker choice ------------------------------------------------------------------------------


def test_broker_is_the_redis_url_that_answers():
    # The suite needs the machine's Redis anyway (.ci/run starts it): no Redis is a failure.
    assert launcher.redis_answers(LOCAL_REDIS_URL), f"no Redis answers at {LOCAL_REDIS_URL}"
    env = {"REDIS_URL": LOCAL_REDIS_URL}
    assert launcher.choose_broker(env, path="") == "redis-url"


def test_broker_is_a_new_redis_server_when_the_url_is_silent(
    silent_redis_url, path_with_redis_server
):
    env = {"REDIS_URL": silent_redis_url}
    assert launcher.choose_broker(env, path=path_with_redis_server) == "redis-server"


def test_broker_is_the_filesystem_without_redis_server_on_path(silent_redis_url, tmp_path):
    env = {"REDIS_URL": silent_redis_url}
    assert launcher.choose_broker(env, path=str(tmp_path)) == "filesystem"


def test_configured_celery_broker_url_is_kept_without_probing(path_with_redis_server):
    env = {"CELERY_BROKER_URL": "filesystem://", "REDIS_URL": "redis://no-such-host.invalid/0"}
    assert launcher.choose_broker(env, path=path_with_redis_server) == "configured"


def test_malformed_redis_url_counts_as_silent():
    assert not launcher.redis_answers("not-a-redis-url")


def test_filesystem_broker_gets_its_folders(tmp_path):
    launcher.prepare_filesystem_broker(tmp_path)
    assert (tmp_path / "broker" / "control").is_dir()


@pytest.mark.skipif(not shutil.which("redis-server"), reason="no redis-server on PATH")
def test_started_redis_server_answers_keeps_nothing_and_stops(supervisor, tmp_path):
    url = launcher.start_redis_server(supervisor, tmp_path)
    assert launcher.redis_answers(url)

    supervisor.stop_all()

    assert not launcher.redis_answers(url)
    assert list(tmp_path.iterdir()) == []


def test_password_is_hidden_when_a_url_is_printed():
    shown = launcher.without_password("redis://:s3cret@example.com:6379/0")
    assert shown == "redis://:***@example.com:6379/0"
    assert launcher.without_password("filesystem://") == "filesystem://"


# --- Ports and waiting --------------------------------------------------------------------------


def test_web_port_is_the_preferred_one_when_free():
    port = launcher.free_port()
    assert launcher.pick_web_port(port) == port


def test_web_port_moves_past_a_busy_one():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        assert launcher.pick_web_port(taken) > taken


def test_http_ok_only_when_the_server_answers_with_success():
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/_sim/state" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        assert launcher.http_ok(f"{base}/_sim/state")
        assert not launcher.http_ok(f"{base}/missing")
    finally:
        server.shutdown()
        server.server_close()
    assert not launcher.http_ok(f"{base}/_sim/state")


def test_waiting_stops_as_soon_as_the_process_has_exited(supervisor):
    process = supervisor.start("quitter", python("raise SystemExit(1)"))
    started = time.monotonic()

    assert not launcher.wait_for(lambda: False, timeout=30, process=process)

    assert time.monotonic() - started < 10
    error = launcher.not_answering("quitter", process)
    assert "exited with code 1" in str(error)


# --- Supervision --------------------------------------------------------------------------------


def test_child_output_is_prefixed_with_its_name(supervisor):
    supervisor.start("greeter", python("print('hello'); print('world')"))
    supervisor.wait_for_first_exit(interval=0.05)
    supervisor.stop_all()
    assert supervisor.out.getvalue() == "[greeter] hello\n[greeter] world\n"


def test_the_child_that_dies_is_named_and_the_others_are_stopped(supervisor):
    sleeper = supervisor.start("sleeper", python("import time; time.sleep(60)"))
    supervisor.start("crasher", python("raise SystemExit(3)"))

    died = supervisor.wait_for_first_exit(interval=0.05)
    supervisor.stop_all()

    assert (died.name, died.process.returncode) == ("crasher", 3)
    assert sleeper.returncode == -signal.SIGTERM


def test_a_child_that_ignores_sigterm_is_killed(supervisor):
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready')"
    stubborn = supervisor.start("stubborn", python(code + "; time.sleep(60)"))
    assert launcher.wait_for(lambda: "ready" in supervisor.out.getvalue(), timeout=10)

    supervisor.stop_all()

    assert stubborn.returncode == -signal.SIGKILL
    assert "stubborn ignored SIGTERM; killing it" in supervisor.out.getvalue()


def test_stopping_a_child_also_stops_what_it_started(supervisor):
    # Like Celery's pool processes: a grandchild in the child's process group.
    code = (
        "import subprocess, sys, time;"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        "print(p.pid, flush=True); time.sleep(60)"
    )
    supervisor.start("parent", python(code))
    assert launcher.wait_for(lambda: supervisor.out.getvalue().strip(), timeout=10)
    grandchild = int(supervisor.out.getvalue().split()[-1])

    supervisor.stop_all()

    assert launcher.wait_for(lambda: is_gone(grandchild), timeout=5)


def test_apps_run_on_this_interpreter_with_the_var_schedule(tmp_path):
    commands = launcher.app_commands(8123, tmp_path)
    assert set(commands) == {"web", "worker", "beat"}
    assert all(argv[0] == sys.executable for argv in commands.values())
    assert "127.0.0.1:8123" in commands["web"]
    assert str(tmp_path / "celerybeat-schedule") in commands["beat"]
