"""What the machines bench starts besides the bench's own Redis and simulator: moto's S3 server
with one bucket (the object store both machines share), and a Celery worker per machine, each with
a local disk of its own (media, temporary files, beat's schedule) that the other never sees."""

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.services import rss_kib
from devtools.object_store import ACCESS_KEY, REGION, SECRET_KEY, s3_client
from devtools.processes import (
    celery_beat_command,
    celery_worker_command,
    descendants,
    free_port,
    port_accepts,
    start,
    stop,
    wait_until_ready,
)

BUCKET = "studio-bench-machines"


@contextmanager
def object_store(workdir: Path) -> Iterator[dict[str, str]]:
    """moto's S3 server in its own process (its request threads do not share a core's
    interpreter lock with the bench) and an empty bucket; yields the studio's settings for it."""
    port = free_port()
    log = workdir / "moto.log"
    with log.open("wb") as output:
        argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        process = start(argv, stdout=output, stderr=subprocess.STDOUT)
    try:
        wait_until_ready(
            "moto's S3 server", lambda: port_accepts(port), timeout=30, process=process, log=log
        )
        endpoint = f"http://127.0.0.1:{port}"
        s3_client(endpoint).create_bucket(Bucket=BUCKET)
        yield {
            "STUDIO_STORAGE": "s3",
            "STUDIO_S3_BUCKET": BUCKET,
            "STUDIO_S3_ENDPOINT_URL": endpoint,
            "STUDIO_S3_REGION": REGION,
            "STUDIO_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "STUDIO_S3_SECRET_ACCESS_KEY": SECRET_KEY,
        }
    finally:
        stop(process, grace=10)


def bucket_keys(endpoint_url: str) -> list[str]:
    pages = s3_client(endpoint_url).get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@dataclass
class Machine:
    name: str
    root: Path  # its own disk
    gateway_url: str  # how it names the gateway: the simulator counts downloads by this host
    processes: list[subprocess.Popen[bytes]]  # its worker, and its beat if it runs one

    @property
    def beat(self) -> bool:
        return len(self.processes) > 1

    @property
    def host(self) -> str:
        return self.gateway_url.split("://", 1)[1]

    @property
    def disk(self) -> list[Path]:
        """Where the studio could leave a take on this machine: media and temporary files."""
        return [self.root / "media", self.root / "tmp"]

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(process.pid) for process in self.processes)

    def rss_kib(self) -> int:
        return sum(rss_kib(process.pid) for process in self.processes)


@contextmanager
def machine(
    name: str, root: Path, env: dict[str, str], *, gateway_url: str, beat: bool, concurrency: int
) -> Iterator[Machine]:
    """`celery worker` (prefork, `concurrency` processes) on a disk of its own under `root`, and
    `celery beat` beside it if `beat` (a process of its own, as compose runs it); everything else
    it shares comes in `env`."""
    for folder in ("media", "tmp", "var"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    own = env | {
        "MEDIA_ROOT": str(root / "media"),
        "TMPDIR": str(root / "tmp"),
        "STUDIO_VAR_DIR": str(root / "var"),
        "AIGATEWAY_BASE_URL": gateway_url,
    }
    commands = {
        "worker": (
            celery_worker_command(hostname=f"{name}@%h", concurrency=concurrency),
            b" ready.",
        )
    }
    if beat:
        commands["beat"] = (celery_beat_command(), b"beat: Starting...")
    with contextlib.ExitStack() as stack:
        processes = []
        for what, (command, ready) in commands.items():
            log = root / f"{what}.log"
            with log.open("wb") as output:
                process = start(command, env=own, stdout=output, stderr=subprocess.STDOUT)
            stack.callback(stop, process, grace=20)
            wait_until_ready(
                f"{name}'s {what}",
                lambda log=log, ready=ready: ready in log.read_bytes(),
                timeout=60,
                process=process,
                log=log,
            )
            processes.append(process)
        yield Machine(name, root, gateway_url, processes)


def files_on(folders: list[Path]) -> list[Path]:
    return [path for folder in folders for path in folder.rglob("*") if path.is_file()]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its living descendants (the prefork pool,
    beat), with that of the children they have waited for (ffmpeg's poster frames), from /proc."""
    ticks = 0
    for each in [pid, *descendants(pid)]:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += sum(map(int, fields[11:15]))  # utime, stime, cutime, cstime (fields 14-17)
    return ticks / os.sysconf("SC_CLK_TCK")
