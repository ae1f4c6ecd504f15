"""The process helpers shared by `make run`, the tests and the bench (devtools/processes.py)."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from devtools import processes
from devtools.processes import BASE_DIR, StartupError, free_port, is_gone, wait_for


def test_a_port_left_in_time_wait_by_a_stopped_server_is_free():
    with socket.socket() as server:
        # As runserver's (socketserver's allow_reuse_address): Linux lets a bind pass a
        # connection in TIME_WAIT when both its socket and the new one set SO_REUSEADDR.
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = server.accept()
            accepted.close()  # the server's side closes first: it is the one left in TIME_WAIT
            client.recv(1)
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("127.0.0.1", port))  # the trap: a bind without SO_REUSEADDR fails

    assert processes.port_is_free(port)


def test_a_port_someone_listens_on_is_busy():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert not processes.port_is_free(server.getsockname()[1])


# Starts the helper's children, prints their pids and waits to be killed.
PARENT = """
import sys, time
from devtools import processes
child = processes.start([sys.executable, "-c", "import time; time.sleep(60)"])
with processes.redis_server() as url:
    print(child.pid, flush=True)
    time.sleep(60)
"""


def test_children_and_a_private_redis_die_when_their_parent_is_killed():
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT], cwd=BASE_DIR, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        sleeper = int(parent.stdout.readline())
        children = [
            int(pid)
            for pid in Path(f"/proc/{parent.pid}/task/{parent.pid}/children").read_text().split()
        ]
    finally:
        parent.kill()  # SIGKILL: no cleanup of its own runs
        parent.wait()

    assert sleeper in children
    assert len(children) == 2  # the sleeper and redis-server
    assert wait_for(lambda: all(map(is_gone, children)), timeout=10)


def test_a_simulator_that_cannot_start_says_why(tmp_path):
    with pytest.raises(StartupError, match="did not start") as error:
        processes.start_simulator(log=tmp_path / "simulator.log", queue_seconds="soon")

    assert "queue" in str(error.value)  # its own complaint, from its log


def test_a_started_simulator_announces_its_url_and_stops_cleanly():
    with processes.gateway_simulator(queue_seconds=0.1) as (url, process):
        assert url.startswith("http://127.0.0.1:")
        assert not processes.port_is_free(int(url.rsplit(":", 1)[1]))
    assert process.returncode == 0


def test_a_simulator_stops_on_ctrl_c_and_sigterm_arriving_together():
    """Ctrl-C in `make run` reaches every process of the terminal's group while the launcher
    sends each child SIGTERM: two signals at once. The simulator once deadlocked on its own
    stop flag there (a handler interrupting a handler holding the flag's lock), and outlived
    the studio for hours."""
    with processes.gateway_simulator(queue_seconds=0.1) as (_, process):
        for _ in range(200):  # a burst, so that one arrives while another is being handled
            process.send_signal(signal.SIGINT)
            process.send_signal(signal.SIGTERM)
        assert wait_for(lambda: process.poll() is not None, timeout=10), "still running"


def test_a_silent_redis_is_reported_within_its_timeout():
    url = f"redis://127.0.0.1:{free_port()}/0"
    with pytest.raises(StartupError, match=r"did not answer within 0\.3 s"):
        processes.wait_until_ready("redis", lambda: processes.redis_answers(url), timeout=0.3)


def test_worker_command_runs_beat_inside_only_when_asked():
    alone = processes.celery_worker_command(hostname="a@%h")
    with_beat = processes.celery_worker_command(beat=True)

    assert alone[:4] == [sys.executable, "-m", "celery", "-A"]
    assert "--quiet" in alone  # no banner
    assert "--beat" not in alone
    assert with_beat[-1] == "--beat"


def test_the_announcement_is_found_when_it_arrives_in_one_chunk_with_other_lines():
    # What a warning printed just before the announcement looks like to the reader: one read
    # of the pipe holds both lines, so the second sits in the stream's buffer.
    read_end, write_end = os.pipe()
    os.write(
        write_end, f"a warning\n{processes.SIMULATOR_ANNOUNCEMENT}http://127.0.0.1:5\n".encode()
    )
    with os.fdopen(read_end) as stream:
        lines = processes._read_until_announced(stream)
        assert lines.get(timeout=2) == "a warning\n"
        assert lines.get(timeout=2) == f"{processes.SIMULATOR_ANNOUNCEMENT}http://127.0.0.1:5\n"
    os.close(write_end)
