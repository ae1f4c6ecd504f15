"""Starting, watching and stopping the processes of a studio run, written once for `make run`
(devtools/launcher.py), the tests (tests/live_services.py, tests/simulator_fixtures.py) and the
bench (bench/services.py, bench/env.py).

Ports and waiting, a private redis-server, the Celery command lines and the gateway simulator.
Every child started here dies with the process that started it, even when that one is killed
with SIGKILL (see `die_with_parent`). Only the standard library and `redis`: no Django, so this
runs before any settings exist.
"""

import contextlib
import ctypes
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import IO, Any, Literal

import redis

BASE_DIR = Path(__file__).resolve().parent.parent


class StartupError(RuntimeError):
    """A process did not come up; the message says which, and why where it is known."""


# --- Ports and waiting --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    """Nothing listens on `port`. Connections of a server just stopped may linger on it in
    TIME_WAIT for a minute; SO_REUSEADDR (which runserver and redis-server set too) lets a new
    server bind past them, so they do not count as busy."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def port_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def redis_answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    except ValueError:
        return False
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def wait_for(
    check: Callable[[], bool],
    *,
    timeout: float,
    process: subprocess.Popen[Any] | None = None,
    interval: float = 0.1,
) -> bool:
    """Poll `check` until it passes; give up early when `process` has already exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        if process is not None and process.poll() is not None:
            return False
        time.sleep(interval)
    return check()


def wait_until_ready(
    what: str,
    check: Callable[[], bool],
    *,
    timeout: float,
    process: subprocess.Popen[Any] | None = None,
    log: Path | None = None,
) -> None:
    """`wait_for`, or StartupError saying whether `what` exited or is still silent (with the
    end of its log, where it writes one)."""
    if wait_for(check, timeout=timeout, process=process):
        return
    if process is None or process.poll() is None:
        reason = f"{what} did not answer within {timeout:g} s"
    else:
        reason = f"{what} exited with code {process.returncode} before answering"
    if log is not None and log.exists():
        reason += ":\n" + log.read_text(errors="replace")[-3000:].rstrip()
    raise StartupError(reason)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children, their children, ...), from Linux's /proc."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = [int(each) for each in (task / "children").read_text().split()]
        except OSError:
            continue  # the task ended meanwhile
        for child in children:
            found += [child, *descendants(child)]
    return found


def is_gone(pid: int) -> bool:
    """The process no longer exists, or is a zombie that nothing will run again."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except FileNotFoundError:
        return True


# --- Children that die with their parent --------------------------------------------------------

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return prctl  # type: ignore[no-any-return]


# Looked up once here: a preexec function runs between fork and exec, where it should do as
# little as it can.
_prctl = _load_prctl()
_SIGTERM = int(signal.SIGTERM)


def die_with_parent() -> Callable[[], None]:
    """A `preexec_fn` that has the kernel send the child SIGTERM when this process dies, however
    it dies (SIGKILL, a closed terminal), so that no server outlives it holding its port.

    Linux sends it when the *thread* that started the child ends, so children are started from
    the main thread only: one started from a short-lived thread would die with that thread.
    Elsewhere than Linux, a no-op.

    Python warns that a `preexec_fn` is unsafe while other threads run (they may hold a lock the
    child then waits for); this one only calls prctl, getppid and kill, which take none.
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("children that die with their parent are started from its main thread")
    parent = os.getpid()

    def preexec() -> None:
        if _prctl is None:
            return
        _prctl(PR_SET_PDEATHSIG, _SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died between the fork and the prctl
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def start(
    argv: list[str],
    *,
    env: Mapping[str, str] | None = None,
    stdout: int | IO[Any] | None = None,
    stderr: int | IO[Any] | None = None,
    new_session: bool = False,
) -> subprocess.Popen[bytes]:
    """A child in the repository's folder that dies with this process (`die_with_parent`)."""
    return subprocess.Popen(
        argv,
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        start_new_session=new_session,
        preexec_fn=die_with_parent(),
    )


def stop(process: subprocess.Popen[Any], *, grace: float = 15) -> None:
    """SIGTERM, then SIGKILL if it is still there after `grace` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


# --- A private redis-server ---------------------------------------------------------------------


def redis_server_command(
    port: int, *, workdir: Path | None = None, log: Path | None = None
) -> list[str]:
    """redis-server on 127.0.0.1:`port` that keeps no data on disk (no snapshot, no AOF)."""
    argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(port)]
    argv += ["--save", "", "--appendonly", "no"]
    if workdir is not None:
        argv += ["--dir", str(workdir)]
    if log is not None:
        argv += ["--logfile", str(log)]
    return argv


@contextmanager
def redis_server(*, workdir: Path | None = None) -> Iterator[str]:
    """A redis-server of this process's own on a free port; yields its URL (database 0).

    The port is free when picked but may be taken before redis-server binds it (test processes
    side by side pick ports at once): one that exits at once is started again on another port.
    """
    with tempfile.TemporaryDirectory(prefix="studio-redis-") as scratch:
        log = Path(scratch) / "redis.log"
        for attempt in range(1, 4):
            port = free_port()
            argv = redis_server_command(port, workdir=workdir, log=log)
            process = start(argv, stdout=subprocess.DEVNULL)
            url = f"redis://127.0.0.1:{port}/0"
            try:
                answers = partial(redis_answers, url)
                wait_until_ready("redis-server", answers, timeout=10, process=process, log=log)
            except StartupError:
                stop(process, grace=5)
                if attempt == 3 or "Address already in use" not in log.read_text(errors="replace"):
                    raise
                continue
            try:
                yield url
            finally:
                stop(process, grace=10)
            return


# --- Celery -------------------------------------------------------------------------------------

# Celery prints its configuration as a banner on start; --quiet leaves the log lines only.
CELERY = [sys.executable, "-m", "celery", "-A", "studio", "--quiet"]


# settings.CELERY_TASK_ROUTES sends exports here: an export runs for minutes on ffmpeg, and
# in a worker of its own it never holds the processes that run the dispatcher, polls and webhooks.
EXPORTS_QUEUE = "exports"

WorkerQueues = Literal["all", "generation", "exports"]


def celery_worker_command(
    *,
    hostname: str | None = None,
    loglevel: str = "INFO",
    concurrency: int = 2,
    beat: bool = False,
    queues: WorkerQueues = "all",
) -> list[str]:
    """A prefork worker of the studio's queues; with `beat`, beat runs inside it.
    `queues`: every queue ("all", one worker for everything), every queue but the exports
    ("generation"), or the exports alone ("exports").

    No gossip or mingle: the studio's workers coordinate through the database, and mingle
    alone costs a second at every start.
    """
    argv = [*CELERY, "worker", "--loglevel", loglevel, "--concurrency", str(concurrency)]
    argv += ["--without-gossip", "--without-mingle"]
    if queues == "generation":
        argv += ["--exclude-queues", EXPORTS_QUEUE]
    elif queues == "exports":
        argv += ["--queues", EXPORTS_QUEUE]
    if hostname is not None:
        argv += ["--hostname", hostname]
    if beat:
        argv += ["--beat"]
    return argv


def celery_beat_command(*, loglevel: str = "INFO") -> list[str]:
    """Beat keeps its schedule in memory (CELERY_BEAT_SCHEDULER): it needs no file."""
    return [*CELERY, "beat", "--loglevel", loglevel]


# --- The gateway simulator ----------------------------------------------------------------------

SIMULATOR_ANNOUNCEMENT = "Gateway simulator listening on "


def simulator_command(*, port: int = 0, quiet: bool = True, **settings: Any) -> list[str]:
    """`python -m devtools.simulator`; `settings` are SimulatorConfig fields (its CLI's defaults,
    the live demo's timings, apply to the rest). Port 0: it picks a free one and announces it."""
    argv = [sys.executable, "-m", "devtools.simulator", "--host", "127.0.0.1", "--port", str(port)]
    if quiet:
        argv.append("--quiet")
    for name, value in settings.items():
        flag = "--" + name.replace("_", "-")
        if name == "faults":
            argv += [item for spec in value for item in ("--fault", spec)]
        elif isinstance(value, bool):
            argv.append(flag if value else flag.replace("--", "--no-", 1))
        elif value is not None:
            argv += [flag, str(value)]
    return argv


def start_simulator(
    *,
    log: Path | None = None,
    timeout: float = 20,
    process_group: int | None = None,
    **settings: Any,
) -> tuple[str, subprocess.Popen[str]]:
    """Start the simulator on a port of its choosing; return its URL, once announced, and the
    process. Its stderr goes to `log`, or without one into its stdout, a text pipe that is then
    the caller's to read (with `--quiet` it writes nothing more unless something goes wrong)."""
    with contextlib.ExitStack() as files:
        stderr: int | IO[bytes] = subprocess.STDOUT
        if log is not None:
            stderr = files.enter_context(log.open("ab"))  # the child keeps its own copy
        process = subprocess.Popen(
            simulator_command(**settings),
            cwd=BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            errors="replace",
            process_group=process_group,
            preexec_fn=die_with_parent(),
        )
    assert process.stdout is not None
    lines = _read_until_announced(process.stdout)
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line.startswith(SIMULATOR_ANNOUNCEMENT):
            return line.removeprefix(SIMULATOR_ANNOUNCEMENT).strip(), process
        if not line:  # the end of its output: it exited
            break
        seen.append(line)
    stop(process, grace=5)
    process.stdout.close()
    output = "".join(seen)
    if log is not None and log.exists():
        output += log.read_text(errors="replace")[-3000:]
    raise StartupError(
        f"the gateway simulator did not start (exit code {process.returncode})"
        + (f":\n{output.rstrip()}" if output.strip() else "")
    )


def _read_until_announced(stream: IO[str]) -> "queue.Queue[str]":
    """The simulator's lines, up to its announcement or its end (""), read on a thread of their
    own: a readline after select() could leave the announcement in the stream's buffer, where
    select() never sees it. The rest of the stream is left to the caller."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        while True:
            line = stream.readline()
            lines.put(line)
            if not line or line.startswith(SIMULATOR_ANNOUNCEMENT):
                return

    threading.Thread(target=read, name="simulator-announcement", daemon=True).start()
    return lines


@contextmanager
def gateway_simulator(
    *, log: Path | None = None, timeout: float = 20, **settings: Any
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`start_simulator` with its stderr in `log` (a temporary file without one), stopped at the
    end with SIGTERM, which it answers with exit code 0."""
    with contextlib.ExitStack() as stack:
        if log is None:
            log = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "simulator.log"
        url, process = start_simulator(log=log, timeout=timeout, **settings)
        try:
            yield url, process
        finally:
            stop(process, grace=10)
            if process.stdout is not None:
                process.stdout.close()
