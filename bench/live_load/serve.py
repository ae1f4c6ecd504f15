"""gunicorn as production runs it (gunicorn.conf.py, DEBUG off), and the CPU time each process
of the server side spends, read from Linux's /proc."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import httpx

from devtools.processes import descendants, free_port, start, stop, wait_until_ready

TICKS = os.sysconf("SC_CLK_TCK")
CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def configured() -> tuple[int, int]:
    """Workers and threads as gunicorn.conf.py picks them here (this machine, this environment)."""
    options = runpy.run_path(str(CONFIG))
    return options["workers"], options["threads"]


def cpu_seconds(pid: int) -> float:
    """User and system time of a process so far (all its threads); 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime are fields 14 and 15 of stat(5); the split starts at field 3.
    return (int(fields[11]) + int(fields[12])) / TICKS


def tree_cpu_seconds(pid: int) -> float:
    """A process and everything below it: gunicorn's master and its workers."""
    return sum(cpu_seconds(each) for each in (pid, *descendants(pid)))


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def gunicorn(env: Mapping[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """`gunicorn -c gunicorn.conf.py studio.wsgi:application` on a free port, its workers and
    threads as the configuration picks them for this machine; yields its URL and pid."""
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "studio.wsgi:application"]
    with log.open("wb") as output:
        process = start(
            argv, env={**env, "PORT": str(port)}, stdout=output, stderr=subprocess.STDOUT
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        ready = partial(answers, f"{base_url}/healthz")
        wait_until_ready("gunicorn", ready, timeout=60, process=process, log=log)
        yield base_url, process.pid
    finally:
        stop(process, grace=30)
