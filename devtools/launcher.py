"""`make run`: the whole studio on embedded defaults, as one process tree that Ctrl-C stops.

It picks a broker, starts the gateway simulator when no API key is set, migrates, makes a demo
login on an empty database, then runs the web server, two Celery workers (one for takes, one for
exports, so that an export never delays a take) and Celery beat with their output prefixed by
name, and ends with one short block: where the studio is, how to log in, whether the gateway is
simulated, and how to stop. Only the standard library and `redis` are
used (through devtools.processes), so that this module can be imported (and tested) without
Django settings.
"""

import hashlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from devtools.processes import (
    BASE_DIR,
    StartupError,
    celery_beat_command,
    celery_worker_command,
    free_port,
    port_accepts,
    port_is_free,
    redis_answers,
    redis_server_command,
    start_simulator,
    wait_until_ready,
)
from devtools.supervisor import Supervisor, emit, write

MANAGE = [sys.executable, "manage.py"]
SIMULATOR_API_KEY = "sk-aig-simulator"
# settings.STUDIO_REDIS_PREFIX's default; an install joining a Redis it was given gets its own.
REDIS_PREFIX = "veo-studio"

BrokerChoice = Literal["configured", "redis-url", "redis-server", "filesystem"]


class StopRequested(Exception):
    """SIGINT, SIGTERM or SIGHUP (the terminal closed) arrived."""


def say(message: str) -> None:
    emit(sys.stdout, "launcher", message)


# --- Broker -------------------------------------------------------------------------------------


def choose_broker(env: Mapping[str, str], *, path: str | None = None) -> BrokerChoice:
    """Decide which broker to use; `path` stands in for $PATH when looking for redis-server.

    A Redis is joined only when it is named: one that merely answers on 127.0.0.1:6379 belongs
    to some other program (or another checkout of the studio), whose workers would take this
    run's tasks and whose flushes would lose them.
    """
    if env.get("CELERY_BROKER_URL"):
        return "configured"
    if env.get("REDIS_URL"):
        return "redis-url"
    if shutil.which("redis-server", path=path):
        return "redis-server"
    return "filesystem"


def install_redis_prefix(var_dir: Path) -> str:
    """A key prefix of this install's own, the same at every start: two checkouts pointed at
    one Redis (or two var folders) never share a queue or a request budget."""
    digest = hashlib.sha256(str(var_dir.resolve()).encode()).hexdigest()[:8]
    return f"{REDIS_PREFIX}-{digest}"


def start_redis_server(supervisor: Supervisor, workdir: Path) -> str:
    """Start a throwaway redis-server on a free port and return its URL once it answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = workdir / "redis.log"
    child = supervisor.start("redis", redis_server_command(port, workdir=workdir, log=log))
    url = f"redis://127.0.0.1:{port}/0"
    wait_until_ready("redis-server", lambda: redis_answers(url), timeout=10, process=child, log=log)
    return url


def prepare_filesystem_broker(var_dir: Path) -> None:
    # The same folders as settings.CELERY_BROKER_TRANSPORT_OPTIONS; kombu does not create them.
    (var_dir / "broker" / "control").mkdir(parents=True, exist_ok=True)


def provide_broker(
    choice: BrokerChoice,
    supervisor: Supervisor,
    var_dir: Path,
    env: Mapping[str, str] = os.environ,
) -> dict[str, str]:
    """Make the chosen broker available and return the variables the children need for it."""
    if choice == "redis-server":
        url = start_redis_server(supervisor, var_dir / "redis")
        say(f"Broker: a redis-server of this run's own at {url} (keeps no data)")
        return {"REDIS_URL": url, "CELERY_BROKER_URL": url}
    if choice == "filesystem":
        prepare_filesystem_broker(var_dir)
        say(f"Broker: embedded filesystem queue in {var_dir / 'broker'} (no redis-server found)")
        return {"CELERY_BROKER_URL": "filesystem://"}
    found: dict[str, str] = {}
    if choice == "configured":
        url = env["CELERY_BROKER_URL"]
        if url.startswith("filesystem://"):
            prepare_filesystem_broker(var_dir)
        say(f"Broker: CELERY_BROKER_URL {without_password(url)}")
    else:
        url = env["REDIS_URL"]
        if not redis_answers(url):
            raise StartupError(
                f"REDIS_URL {without_password(url)} does not answer"
                " (unset it, and make run starts a Redis of its own)"
            )
        say(f"Broker: REDIS_URL {without_password(url)}")
        found["CELERY_BROKER_URL"] = url
    if not url.startswith("filesystem://"):
        prefix = env.get("STUDIO_REDIS_PREFIX") or install_redis_prefix(var_dir)
        say(f"Redis keys of this install start with {prefix}: (STUDIO_REDIS_PREFIX)")
        found["STUDIO_REDIS_PREFIX"] = prefix
    return found


def without_password(url: str) -> str:
    password = urlsplit(url).password
    return url.replace(f":{password}@", ":***@") if password else url


# --- Ports --------------------------------------------------------------------------------------


def pick_web_port(preferred: int, *, attempts: int = 100) -> int:
    for port in range(preferred, preferred + attempts):
        if port_is_free(port):
            return port
    raise StartupError(f"no free port between {preferred} and {preferred + attempts - 1}")


# --- Gateway simulator --------------------------------------------------------------------------


def start_gateway_simulator(supervisor: Supervisor) -> dict[str, str]:
    """Start the bundled gateway simulator and return the variables that point the studio at it."""
    url, process = start_simulator(process_group=0)
    supervisor.adopt("simulator", process)
    say(f"Gateway: the bundled simulator at {url} (nothing is charged)")
    return {
        "AIGATEWAY_BASE_URL": url,
        "AIGATEWAY_API_KEY": SIMULATOR_API_KEY,
        "AIGATEWAY_SIMULATED": "1",
    }


# --- Django -------------------------------------------------------------------------------------


# What migrate says on every run; anything else it says is shown.
ROUTINE_MIGRATE = re.compile(
    r"^(Operations to perform:|  Apply all migrations: .*|Running migrations:"
    r"|  Applying .* OK|  No migrations to apply\.|\s*)$"
)


def migrate() -> None:
    """`manage.py migrate`, summed up in one line; its whole output only when it fails."""
    result = subprocess.run(
        [*MANAGE, "migrate", "--noinput"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        errors="replace",
    )
    if result.returncode != 0:
        for line in (result.stdout + result.stderr).splitlines():
            emit(sys.stdout, "migrate", line)
        raise StartupError(f"manage.py migrate failed with exit code {result.returncode}")
    lines = result.stdout.splitlines()
    notices = [line for line in lines if not ROUTINE_MIGRATE.match(line)]
    for line in notices + result.stderr.splitlines():  # e.g. models changed without a migration
        emit(sys.stdout, "migrate", line)
    applied = sum(line.lstrip().startswith("Applying ") for line in lines)
    say(f"Database: {applied} migrations applied" if applied else "Database: up to date")


@dataclass(frozen=True)
class Login:
    username: str
    password: str | None  # only when it was made just now


def ensure_demo_login(password: str | None) -> Login | None:
    """On a database without users, create `demo` and return its login; `demo` without its
    password when it exists already; None when only other accounts exist.

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
        if user_model.objects.filter(username="demo").exists():
            return Login("demo", None)
        if user_model.objects.exists():
            return None
        password = password or secrets.token_urlsafe(12)
        user_model.objects.create_user(username="demo", password=password)
        return Login("demo", password)
    finally:
        # The SQLite file is shared with the children; hold no connection to it.
        connections.close_all()


# --- The apps -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class App:
    argv: list[str]
    ready_when: str  # a line that says it is serving
    env: dict[str, str] = field(default_factory=dict)
    hide: re.Pattern[str] | None = None  # start-up lines that the ready block says again


# Celery warns a root user at every start (containers run as root); on a developer's machine
# it says nothing new. Matched against the start of the warning's message.
ROOT_WARNING = "ignore:You're running the worker with superuser privileges"


# A worker's start-up lines that the ready block says again.
WORKER_STARTED = re.compile(r"INFO/MainProcess\] (Connected to \S+|\S+@\S+ ready\.)$")


def app_commands(port: int) -> dict[str, App]:
    warnings = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), ROOT_WARNING]))
    # One export at a time unless told otherwise: ffmpeg already uses every core it is given.
    export_concurrency = int(os.environ.get("STUDIO_EXPORT_CONCURRENCY", "1"))
    return {
        "web": App(
            # No system checks: migrate ran them just now.
            [*MANAGE, "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
            ready_when="Starting WSGI development server at",
            env={"DJANGO_RUNSERVER_HIDE_WARNING": "true"},
            hide=re.compile(
                r"^(\w+ \d{1,2}, \d{4} - [\d:]+|Django version .*"
                r"|Starting WSGI development server at .*|Quit the server with CONTROL-C\.)$"
            ),
        ),
        "worker": App(
            celery_worker_command(hostname="worker@%h", queues="generation"),
            ready_when=" ready.",
            env={"PYTHONWARNINGS": warnings},
            hide=WORKER_STARTED,
        ),
        # Exports have a worker of their own (EXPORTS_QUEUE), so they never delay a take.
        "exports": App(
            celery_worker_command(
                hostname="exports@%h", queues="exports", concurrency=export_concurrency
            ),
            ready_when=" ready.",
            env={"PYTHONWARNINGS": warnings},
            hide=WORKER_STARTED,
        ),
        "beat": App(
            celery_beat_command(),
            ready_when="beat: Starting...",
            hide=re.compile(r"INFO/MainProcess\] beat: Starting\.\.\.$"),
        ),
    }


def ready_block(*, url: str, login: Login | None, gateway: str | None) -> str:
    """What a newcomer needs once everything answers; `gateway` is None when simulated."""
    manage = f"{os.path.relpath(sys.executable, BASE_DIR)} manage.py changepassword"
    if login is not None and login.password is not None:
        how = f"Log in as {login.username}, password {login.password} (shown this once)"
    elif login is not None:
        how = f"Log in as {login.username} (forgot the password? {manage} {login.username})"
    else:
        how = f"Log in with your account (forgot the password? {manage} <name>)"
    if gateway is None:
        where = "Gateway: simulated, nothing is charged"
    else:
        where = f"Gateway: {gateway}, takes are charged"
    lines = [f"Veo Studio is ready at {url}", how, where, "Ctrl-C stops everything."]
    return "\n" + "".join(f"  {line}\n" for line in lines) + "\n"


def wait_until_serving(supervisor: Supervisor, port: int, *, timeout: float = 60) -> None:
    """Every app has said it serves (and the web port accepts), or StartupError names one."""
    deadline = time.monotonic() + timeout
    for name in ("web", "worker", "exports", "beat"):
        child = supervisor.named(name)
        wait_until_ready(
            f"the {name} process",
            child.ready.is_set,
            timeout=max(0.0, deadline - time.monotonic()),
            process=child.process,
        )
    wait_until_ready(
        "the web server",
        lambda: port_accepts(port),
        timeout=max(1.0, deadline - time.monotonic()),
        process=supervisor.named("web").process,
    )


# --- Main ---------------------------------------------------------------------------------------


def raise_stop_requested(signum: int, frame: object) -> None:
    raise StopRequested(signal.Signals(signum).name)


def prepare_environment() -> Path:
    """Apply the embedded defaults; return the var/ folder (the same rule as settings.VAR_DIR)."""
    os.environ.setdefault("DEBUG", "1")
    var_dir = Path(os.environ.get("STUDIO_VAR_DIR", BASE_DIR / "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    return var_dir


def is_on(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def run(supervisor: Supervisor) -> int:
    var_dir = prepare_environment()
    choice = choose_broker(os.environ)
    os.environ.update(provide_broker(choice, supervisor, var_dir))
    if not os.environ.get("AIGATEWAY_API_KEY"):
        os.environ.update(start_gateway_simulator(supervisor))
    preferred = int(os.environ.get("PORT", "8000"))
    port = pick_web_port(preferred)
    if port != preferred:
        say(f"Port {preferred} is busy; using {port}")
    os.environ["PORT"] = str(port)
    migrate()
    login = ensure_demo_login(os.environ.get("DEMO_PASSWORD"))
    say("Starting the web server, Celery workers (takes, exports) and Celery beat")
    for name, app in app_commands(port).items():
        supervisor.start(name, app.argv, env=app.env, ready_when=app.ready_when, hide=app.hide)
    wait_until_serving(supervisor, port)
    simulated = is_on(os.environ.get("AIGATEWAY_SIMULATED"))
    gateway = (
        None if simulated else os.environ.get("AIGATEWAY_BASE_URL", "https://api.aigateway.sh")
    )
    write(sys.stdout, ready_block(url=f"http://127.0.0.1:{port}/", login=login, gateway=gateway))
    child = supervisor.wait_for_first_exit()
    say(f"{child.name} exited unexpectedly (exit code {child.process.returncode}); stopping")
    return 1


def main() -> int:
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, raise_stop_requested)
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
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        supervisor.stop_all()


if __name__ == "__main__":
    sys.exit(main())
