"""`make run`: the whole studio on embedded defaults, as one process tree that Ctrl-C stops.

It picks a broker, starts the gateway simulator when no API key is set, migrates, makes a demo
login on an empty database, then runs the web server, a Celery worker and Celery beat with their
output prefixed by name. Only the standard library and `redis` are used, so that this module can
be imported (and tested) without Django settings.
"""

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO
from urllib.parse import urlsplit

import redis

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
SIMULATOR_API_KEY = "sk-aig-simulator"

BrokerChoice = Literal["configured", "redis-url", "redis-server", "filesystem"]


class StartupError(Exception):
    """A step before the children run failed; the message says which."""


class StopRequested(Exception):
    """SIGINT or SIGTERM arrived."""


# Children's lines are written from one thread each; whole lines only, never interleaved.
_output_lock = threading.Lock()


def emit(out: TextIO, name: str, line: str) -> None:
    with _output_lock:
        out.write(f"[{name}] {line}".rstrip() + "\n")
        out.flush()


def say(message: str) -> None:
    emit(sys.stdout, "launcher", message)


# --- Broker -------------------------------------------------------------------------------------


def choose_broker(env: Mapping[str, str], *, path: str | None = None) -> BrokerChoice:
    """Decide which broker to use; `path` stands in for $PATH when looking for redis-server."""
    if env.get("CELERY_BROKER_URL"):
        return "configured"
    if redis_answers(env.get("REDIS_URL", DEFAULT_REDIS_URL)):
        return "redis-url"
    if shutil.which("redis-server", path=path):
        return "redis-server"
    return "filesystem"


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


def start_redis_server(supervisor: "Supervisor", workdir: Path) -> str:
    """Start a throwaway redis-server on a free port and return its URL once it answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(port)]
    argv += ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
    child = supervisor.start("redis", argv)
    url = f"redis://127.0.0.1:{port}/0"
    if not wait_for(lambda: redis_answers(url), timeout=10, process=child):
        raise not_answering("redis-server", child)
    return url


def prepare_filesystem_broker(var_dir: Path) -> None:
    # The same folders as settings.CELERY_BROKER_TRANSPORT_OPTIONS; kombu does not create them.
    (var_dir / "broker" / "control").mkdir(parents=True, exist_ok=True)


def provide_broker(choice: BrokerChoice, supervisor: "Supervisor", var_dir: Path) -> dict[str, str]:
    """Make the chosen broker available and return the variables the children need for it."""
    if choice == "configured":
        url = os.environ["CELERY_BROKER_URL"]
        if url.startswith("filesystem://"):
            prepare_filesystem_broker(var_dir)
        say(f"Broker: CELERY_BROKER_URL {without_password(url)}")
        return {}
    if choice == "redis-url":
        url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
        say(f"Broker: Redis at {without_password(url)}")
        return {"REDIS_URL": url, "CELERY_BROKER_URL": url}
    if choice == "redis-server":
        url = start_redis_server(supervisor, var_dir / "redis")
        say(f"Broker: a redis-server started for this run at {url} (keeps nothing on disk)")
        return {"REDIS_URL": url, "CELERY_BROKER_URL": url}
    prepare_filesystem_broker(var_dir)
    say(f"Broker: embedded filesystem queue in {var_dir / 'broker'} (no Redis found)")
    return {"CELERY_BROKER_URL": "filesystem://"}


def without_password(url: str) -> str:
    password = urlsplit(url).password
    return url.replace(f":{password}@", ":***@") if password else url


# --- Ports and waiting --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def pick_web_port(preferred: int, *, attempts: int = 100) -> int:
    for port in range(preferred, preferred + attempts):
        if port_is_free(port):
            return port
    raise StartupError(f"no free port between {preferred} and {preferred + attempts - 1}")


def port_accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):  # noqa: S310 (our own http:// URL)
            return True
    except (urllib.error.URLError, OSError):
        return False


def wait_for(
    check: Callable[[], bool],
    *,
    timeout: float,
    process: subprocess.Popen | None = None,
    interval: float = 0.2,
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


def not_answering(what: str, process: subprocess.Popen) -> StartupError:
    if process.poll() is None:
        return StartupError(f"{what} did not answer in time")
    return StartupError(f"{what} exited with code {process.returncode} before answering")


# --- Gateway simulator --------------------------------------------------------------------------


def start_simulator(supervisor: "Supervisor") -> dict[str, str]:
    """Start the bundled gateway simulator and return the variables that point the studio at it."""
    port = free_port()
    argv = [sys.executable, "-m", "studio.simulator", "--host", "127.0.0.1", "--port", str(port)]
    child = supervisor.start("simulator", argv)
    base_url = f"http://127.0.0.1:{port}"
    if not wait_for(lambda: http_ok(f"{base_url}/_sim/state"), timeout=20, process=child):
        raise not_answering("the gateway simulator (GET /_sim/state)", child)
    say("Simulated gateway: nothing is charged")
    return {
        "AIGATEWAY_BASE_URL": base_url,
        "AIGATEWAY_API_KEY": SIMULATOR_API_KEY,
        "AIGATEWAY_SIMULATED": "1",
    }


# --- Django -------------------------------------------------------------------------------------


def migrate() -> None:
    result = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=BASE_DIR)
    if result.returncode != 0:
        raise StartupError(f"manage.py migrate failed with exit code {result.returncode}")


def ensure_demo_login(password: str | None) -> tuple[str, str] | None:
    """On a database without users, create `demo`; return its login, or None if users exist.

    Runs Django in this process: the environment is final by now, and the password then exists
    only in memory and on the terminal, never on a command line.
    """
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connections

    user_model = get_user_model()
    try:
        if user_model.objects.exists():
            return None
        password = password or secrets.token_urlsafe(12)
        user_model.objects.create_user(username="demo", password=password)
        return "demo", password
    finally:
        # The SQLite file is shared with the children; hold no connection to it.
        connections.close_all()


def app_commands(port: int, var_dir: Path) -> dict[str, list[str]]:
    celery = [sys.executable, "-m", "celery", "-A", "studio"]
    schedule = str(var_dir / "celerybeat-schedule")
    return {
        "web": [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        "worker": [*celery, "worker", "-l", "info", "--concurrency", "2"],
        "beat": [*celery, "beat", "-l", "info", "--schedule", schedule],
    }


# --- Supervision --------------------------------------------------------------------------------


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    pump: threading.Thread


class Supervisor:
    """Runs children in their own process groups, prefixes their output and stops them all.

    Own process groups keep the terminal's Ctrl-C away from the children, so that they stop in
    order (the broker last) instead of all at once, and a group kill also reaches grandchildren
    such as Celery's pool processes.
    """

    def __init__(self, *, out: TextIO | None = None, grace: float = 8.0) -> None:
        self.out = out or sys.stdout
        self.grace = grace
        self.children: list[Child] = []

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(
            argv,
            cwd=BASE_DIR,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            process_group=0,
        )
        pump = threading.Thread(target=self._pump, args=(name, process.stdout), daemon=True)
        pump.start()
        self.children.append(Child(name, process, pump))
        return process

    def _pump(self, name: str, stream: TextIO) -> None:
        for line in stream:
            emit(self.out, name, line)

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
        child.pump.join(timeout=1)


# --- Main ---------------------------------------------------------------------------------------


def raise_stop_requested(signum: int, frame: object) -> None:
    raise StopRequested(signal.Signals(signum).name)


def prepare_environment() -> Path:
    """Apply the embedded defaults; return the var/ folder (the same rule as settings.VAR_DIR)."""
    os.environ.setdefault("DEBUG", "1")
    var_dir = Path(os.environ.get("STUDIO_VAR_DIR", BASE_DIR / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    return var_dir


def print_banner(port: int, login: tuple[str, str] | None) -> None:
    say(f"Studio: http://127.0.0.1:{port}/")
    if login:
        say(f"Login: {login[0]} / {login[1]}  (shown only this once)")
    else:
        say("Login: an existing account (manage.py changepassword <name> resets one)")
    say("Ctrl-C stops everything.")


def run(supervisor: Supervisor) -> int:
    var_dir = prepare_environment()
    choice = choose_broker(os.environ)
    os.environ.update(provide_broker(choice, supervisor, var_dir))
    if not os.environ.get("AIGATEWAY_API_KEY"):
        os.environ.update(start_simulator(supervisor))
    preferred = int(os.environ.get("PORT", "8000"))
    port = pick_web_port(preferred)
    if port != preferred:
        say(f"Port {preferred} is busy; using {port}")
    os.environ["PORT"] = str(port)
    migrate()
    login = ensure_demo_login(os.environ.get("DEMO_PASSWORD"))
    commands = app_commands(port, var_dir)
    apps = {name: supervisor.start(name, argv) for name, argv in commands.items()}
    wait_for(lambda: port_accepts(port), timeout=30, process=apps["web"])
    if apps["web"].poll() is None:
        print_banner(port, login)
    child = supervisor.wait_for_first_exit()
    say(f"{child.name} exited unexpectedly (exit code {child.process.returncode}); stopping")
    return 1


def main() -> int:
    signal.signal(signal.SIGINT, raise_stop_requested)
    signal.signal(signal.SIGTERM, raise_stop_requested)
    supervisor = Supervisor()
    try:
        return run(supervisor)
    except StopRequested as stop:
        say(f"{stop} received; stopping")
        return 0
    except StartupError as error:
        say(f"{error}; stopping")
        return 1
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave children behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        supervisor.stop_all()


if __name__ == "__main__":
    sys.exit(main())
