"""Runs the children of `make run` (devtools/launcher.py) as one process tree: their output
prefixed by name, start-up banners left out, readiness seen, and all of them stopped in order.
Standard library only."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TextIO

from devtools.processes import BASE_DIR, die_with_parent

# Children's lines are written from one thread each; whole lines only, never interleaved.
_output_lock = threading.Lock()


def write(out: TextIO, text: str) -> None:
    with _output_lock:
        try:
            out.write(text)
            out.flush()
        except (OSError, ValueError):
            pass  # the terminal is gone (SIGHUP): stopping must go on without it


def emit(out: TextIO, name: str, line: str) -> None:
    write(out, f"[{name}] {line}".rstrip() + "\n")


@dataclass
class Child:
    name: str
    process: subprocess.Popen[str]
    ready_when: str | None = None
    hide: re.Pattern[str] | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    pump: threading.Thread | None = None


class Supervisor:
    """Runs children in their own process groups, prefixes their output and stops them all.

    Own process groups keep the terminal's Ctrl-C away from the children, so that they stop in
    order (the broker last) instead of all at once, and a group kill also reaches grandchildren
    such as Celery's pool processes. Each child also dies with the supervisor's process
    (`die_with_parent`), should that be killed before it can stop them.
    """

    def __init__(self, *, out: TextIO | None = None, grace: float = 8.0) -> None:
        self.out = out or sys.stdout
        self.grace = grace
        self.children: list[Child] = []

    def start(
        self,
        name: str,
        argv: list[str],
        *,
        env: Mapping[str, str] | None = None,
        ready_when: str | None = None,
        hide: re.Pattern[str] | None = None,
    ) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            argv,
            cwd=BASE_DIR,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            process_group=0,
            # Safe beside the output threads: it takes no lock (see die_with_parent).
            preexec_fn=die_with_parent(),
        )
        return self.adopt(name, process, ready_when=ready_when, hide=hide)

    def adopt(
        self,
        name: str,
        process: subprocess.Popen[str],
        *,
        ready_when: str | None = None,
        hide: re.Pattern[str] | None = None,
    ) -> subprocess.Popen[str]:
        """Supervise a child started elsewhere (in a process group of its own, with its output
        on a text pipe)."""
        child = Child(name, process, ready_when, hide)
        child.pump = threading.Thread(target=self._pump, args=(child,), daemon=True)
        self.children.append(child)
        child.pump.start()
        return process

    def _pump(self, child: Child) -> None:
        assert child.process.stdout is not None
        for line in child.process.stdout:
            shown = line.strip() and not (child.hide and child.hide.search(line.rstrip("\n")))
            if shown:
                emit(self.out, child.name, line)
            if child.ready_when is not None and child.ready_when in line:
                child.ready.set()

    def named(self, name: str) -> Child:
        return next(c for c in self.children if c.name == name)

    def first_exited(self) -> Child | None:
        return next((c for c in self.children if c.process.poll() is not None), None)

    def wait_for_first_exit(self, *, interval: float = 0.5) -> Child:
        while (child := self.first_exited()) is None:
            time.sleep(interval)
        return child

    def stop_all(self) -> None:
        # Newest first: the apps go before the simulator and the broker they talk to.
        for child in reversed(self.children):
            self._stop(child)
        self.children.clear()

    def _stop(self, child: Child) -> None:
        process = child.process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=self.grace)
            except subprocess.TimeoutExpired:
                emit(self.out, "launcher", f"{child.name} ignored SIGTERM; killing it")
        # Also reaps whatever the child left behind in its group (pool processes).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        if child.pump is not None:
            child.pump.join(timeout=1)
