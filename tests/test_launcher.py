"""The `make run` launcher's decisions, with nothing started but cheap processes, and (marked
`integration`) one whole `make run` that is killed.

Nothing here needs Django's settings or database. Children are this interpreter or redis-server.
"""

import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from devtools import launcher, processes
from devtools.processes import StartupError, descendants, free_port, is_gone, wait_for
from devtools.supervisor import Supervisor


@pytest.fixture
def silent_redis_url() -> str:
    # A port nobody listens on: the connection is refused at once.
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def path_with_redis_server(tmp_path: Path) -> str:
    fake = tmp_path / "redis-server"
    fake.write_text("#!/bin/sh\nexit 0\n")
    fake.chmod(0o755)
    return str(tmp_path)


@pytest.fixture
def supervisor():
    supervisor = Supervisor(out=io.StringIO(), grace=0.5)
    yield supervisor
    supervisor.stop_all()


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return f"{pid} (ended)"


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


# --- Broker choice ------------------------------------------------------------------------------


def test_with_nothing_set_no_redis_is_joined(path_with_redis_server, tmp_path):
    # Not even one answering on 127.0.0.1:6379: it is another program's (or checkout's).
    assert launcher.choose_broker({}, path=path_with_redis_server) == "redis-server"
    assert launcher.choose_broker({}, path=str(tmp_path / "nothing")) == "filesystem"


def test_broker_is_the_redis_url_when_one_is_named(path_with_redis_server):
    env = {"REDIS_URL": "redis://redis.example.com:6379/0"}
    assert launcher.choose_broker(env, path=path_with_redis_server) == "redis-url"


def test_a_named_redis_url_that_is_silent_stops_the_start(supervisor, silent_redis_url, tmp_path):
    env = {"REDIS_URL": silent_redis_url}
    with pytest.raises(StartupError, match="does not answer"):
        launcher.provide_broker("redis-url", supervisor, tmp_path, env)


def test_a_given_redis_gets_a_key_prefix_of_this_install(supervisor, tmp_path):
    env = {"CELERY_BROKER_URL": "redis://redis.example.com:6379/0"}
    here = launcher.provide_broker("configured", supervisor, tmp_path / "one", env)
    again = launcher.provide_broker("configured", supervisor, tmp_path / "one", env)
    elsewhere = launcher.provide_broker("configured", supervisor, tmp_path / "two", env)

    assert here["STUDIO_REDIS_PREFIX"].startswith("veo-studio-")
    assert here == again  # the same at every start: queued tasks survive a restart
    assert elsewhere["STUDIO_REDIS_PREFIX"] != here["STUDIO_REDIS_PREFIX"]


def test_a_chosen_key_prefix_is_kept(supervisor, tmp_path):
    env = {"CELERY_BROKER_URL": "redis://host/0", "STUDIO_REDIS_PREFIX": "acme-studio"}
    found = launcher.provide_broker("configured", supervisor, tmp_path, env)
    assert found["STUDIO_REDIS_PREFIX"] == "acme-studio"


def test_configured_celery_broker_url_is_kept_without_probing(path_with_redis_server):
    env = {"CELERY_BROKER_URL": "filesystem://", "REDIS_URL": "redis://no-such-host.invalid/0"}
    assert launcher.choose_broker(env, path=path_with_redis_server) == "configured"


def test_malformed_redis_url_counts_as_silent():
    assert not processes.redis_answers("not-a-redis-url")


def test_filesystem_broker_gets_its_folders(tmp_path):
    launcher.prepare_filesystem_broker(tmp_path)
    assert (tmp_path / "broker" / "control").is_dir()


def test_started_redis_server_answers_keeps_no_data_and_stops(supervisor, tmp_path):
    url = launcher.start_redis_server(supervisor, tmp_path)
    assert processes.redis_answers(url)

    supervisor.stop_all()

    assert not processes.redis_answers(url)
    assert [path.name for path in tmp_path.iterdir()] == ["redis.log"]


def test_password_is_hidden_when_a_url_is_printed():
    shown = launcher.without_password("redis://:s3cret@example.com:6379/0")
    assert shown == "redis://:***@example.com:6379/0"
    assert launcher.without_password("filesystem://") == "filesystem://"


# --- Ports and waiting --------------------------------------------------------------------------


def test_web_port_is_the_preferred_one_when_free():
    port = free_port()
    assert launcher.pick_web_port(port) == port


def test_web_port_moves_past_a_busy_one():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        assert launcher.pick_web_port(taken) > taken


def test_waiting_stops_as_soon_as_the_process_has_exited(supervisor):
    process = supervisor.start("quitter", python("raise SystemExit(1)"))
    started = time.monotonic()

    with pytest.raises(StartupError, match="quitter exited with code 1 before answering"):
        processes.wait_until_ready("quitter", lambda: False, timeout=30, process=process)

    assert time.monotonic() - started < 10


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
    assert wait_for(lambda: "ready" in supervisor.out.getvalue(), timeout=10)

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
    assert wait_for(lambda: bool(supervisor.out.getvalue().strip()), timeout=10)
    grandchild = int(supervisor.out.getvalue().split()[-1])

    supervisor.stop_all()

    assert wait_for(lambda: is_gone(grandchild), timeout=5)


def test_apps_run_on_this_interpreter():
    commands = launcher.app_commands(8123)
    assert set(commands) == {"web", "worker", "exports", "beat"}
    assert all(app.argv[0] == sys.executable for app in commands.values())
    assert "127.0.0.1:8123" in commands["web"].argv


def test_banners_are_hidden_and_readiness_is_seen_but_other_lines_are_shown(supervisor):
    code = "print('Starting up'); print('It is ready.'); print('Traceback: something broke')"
    supervisor.start("app", python(code), ready_when="ready.", hide=re.compile("^Starting up$"))
    supervisor.wait_for_first_exit(interval=0.05)
    supervisor.stop_all()

    assert supervisor.out.getvalue() == "[app] It is ready.\n[app] Traceback: something broke\n"


SUPERVISED = """
import sys, time
from pathlib import Path
from devtools import launcher
from devtools.supervisor import Supervisor
supervisor = Supervisor()
sleeper = "import time; time.sleep(60)"
supervisor.start("sleeper", [sys.executable, "-c", sleeper])
launcher.start_redis_server(supervisor, Path(sys.argv[1]))
print("started", flush=True)
time.sleep(60)
"""


def test_children_die_when_the_launcher_is_killed(tmp_path):
    argv = [sys.executable, "-c", SUPERVISED, str(tmp_path)]
    parent = subprocess.Popen(argv, cwd=launcher.BASE_DIR, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline() == "started\n"
        children = descendants(parent.pid)
    finally:
        parent.kill()  # SIGKILL: nothing of the launcher's own code runs
        parent.wait()

    assert len(children) == 2  # the sleeper and redis-server

    assert wait_for(lambda: all(map(is_gone, children)), timeout=10)


def test_the_ready_block_says_where_how_to_log_in_what_gateway_and_how_to_stop():
    block = launcher.ready_block(
        url="http://127.0.0.1:8000/", login=launcher.Login("demo", "s3cret"), gateway=None
    )
    assert block.strip().splitlines() == [
        "Veo Studio is ready at http://127.0.0.1:8000/",
        "  Log in as demo, password s3cret (shown this once)",
        "  Gateway: simulated, nothing is charged",
        "  Ctrl-C stops everything.",
    ]


def test_the_ready_block_says_how_to_reset_a_password_it_cannot_show():
    again = launcher.ready_block(url="u", login=launcher.Login("demo", None), gateway="https://g")
    others = launcher.ready_block(url="u", login=None, gateway="https://g")

    assert "manage.py changepassword demo" in again
    assert "manage.py changepassword <name>" in others
    assert "Gateway: https://g, takes are charged" in others


# --- The whole of make run ----------------------------------------------------------------------

# What the test session set for itself (its Redis, its fake gateway key, its settings) stays out:
# the launcher starts as `make run` on a fresh clone would, with nothing set.
NOT_INHERITED = re.compile(r"^(AIGATEWAY_|CELERY_|DATABASE_URL$|REDIS_URL$|STUDIO_|TEST_|DJANGO_)")


@pytest.mark.integration
def test_make_run_ends_with_the_ready_block_and_leaves_nothing_when_killed(tmp_path):
    env = {name: value for name, value in os.environ.items() if not NOT_INHERITED.match(name)}
    env.update(STUDIO_VAR_DIR=str(tmp_path / "var"), PORT=str(free_port()), DEBUG="1")
    lines: list[str] = []
    launcher_process = subprocess.Popen(
        [sys.executable, "-m", "devtools.launcher"],
        cwd=launcher.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert launcher_process.stdout is not None
    reader = threading.Thread(target=lambda: lines.extend(launcher_process.stdout), daemon=True)
    reader.start()
    try:
        # Six processes start Django; on a loaded two-core machine that took over two minutes.
        assert wait_for(lambda: "  Ctrl-C stops everything.\n" in lines, timeout=300), "".join(
            lines
        )
        time.sleep(2)  # anything printed after the block would show up meanwhile
        children = {pid: command_line(pid) for pid in descendants(launcher_process.pid)}
    finally:
        launcher_process.kill()
        launcher_process.wait()

    output = "".join(lines)
    block = output[output.rindex("\n\n  Veo Studio is ready at") :]
    assert output.endswith(block), output  # the last thing on screen
    assert re.search(r"Log in as demo, password \S+ \(shown this once\)", block)
    assert "Gateway: simulated, nothing is charged" in block
    assert "redis-server of this run's own" in output
    assert len(output.splitlines()) < 20, output  # no banners, no migrations one by one
    assert len(children) >= 5  # redis, simulator, web, worker, beat (and the pool)
    # Each ends on the SIGTERM the kernel sends when the launcher dies; a worker's warm shutdown
    # on a loaded machine can take a while, so the bound is generous.
    assert wait_for(lambda: all(map(is_gone, children)), timeout=60), [
        command for pid, command in children.items() if not is_gone(pid)
    ]
