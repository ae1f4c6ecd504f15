"""The live-load bench (`python -m bench.live_load`): its report from Locust's statistics and
the CPU times, and a tiny run of the whole thing (gunicorn, Redis and Locust of its own)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.live_load.report import Endpoint, Step, capacity, checks, cpu_bound, read_stats, render
from bench.live_load.run import spent_by_backends

BASE_DIR = Path(__file__).resolve().parents[2]
STATS = """Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,\
90%,95%,98%,99%,99.9%,99.99%,100%
GET,edit form,20,0,12,13,8,30,4000,0.7,0.0,12,13,14,15,18,20,25,30,30,30,30
GET,live,2000,0,9,11,3,120,900,66.5,0.0,9,10,11,12,15,24,40,60,120,120,120
POST,save,20,0,25,26,15,60,3000,0.7,0.0,25,27,28,30,40,45,60,60,60,60,60
,Aggregated,2040,0,9,11,3,120,900,67.9,0.0,9,10,11,12,15,24,40,60,120,120,120
"""


def step(name: str, offered: float, live_per_second: float, p95: float, cpu: float) -> Step:
    endpoints = {"live": Endpoint(3000, 0, 9.0, p95, live_per_second, 2.5)}
    tally = {"polls": 3000, "answers with shots": 1000, "edits": 20, "saves": 20}
    return Step(name, offered, endpoints, {"gunicorn": cpu, "PostgreSQL": 1.0}, tally)


def test_statistics_are_read_by_request_name(tmp_path):
    path = tmp_path / "step_stats.csv"
    path.write_text(STATS)
    stats = read_stats(path)
    assert set(stats) == {"edit form", "live", "save"}
    assert stats["live"] == Endpoint(
        requests=2000, failures=0, median_ms=9.0, p95_ms=24.0, per_second=66.5, kilobytes=0.9
    )


def test_capacity_is_the_most_served_within_the_p95():
    steps = [
        step("paced", 67, 66.0, 20.0, cpu=6.0),
        step("twice", 133, 140.0, 90.0, cpu=6.0),
        step("back-to-back", 0, 210.0, 900.0, cpu=12.0),
    ]
    assert capacity(steps, p95_limit_ms=250) == 140.0
    # 3,040 requests in the busiest step (3,000 polls and 20 edits of two requests each);
    # 13 CPU seconds on the server side: 4.3 ms each, so 2 cores serve 468 a second.
    assert steps[2].requests == 3040
    assert round(cpu_bound(steps, cores=2)) == 468
    report = render(steps, checks(steps), cores=2, target=200 / 3, p95_limit_ms=250)
    assert "140 req/s = 2.1x the 67 req/s asked" in report
    assert "468 req/s = 7.0x" in report
    assert "| twice | 133 | 140.0 | 9 ms | 90 ms | 2.5 | 33 % | 0 |" in report
    assert "FAIL" not in report


def test_a_step_with_no_poll_answered_after_its_ramp_up_is_reported_as_serving_none():
    # A machine busy enough that no poll came back between the ramp-up and the step's end
    # (seen in a full test run beside other suites): Locust's statistics have no "live" line.
    busy = step("every 1 s", 3, 3.0, 20.0, cpu=6.0)
    del busy.endpoints["live"]
    steps = [step("paced", 67, 66.0, 20.0, cpu=6.0), busy]
    report = render(steps, checks(steps), cores=2, target=200 / 3, p95_limit_ms=250)
    assert "| every 1 s | 3 | 0.0 | - | - |" in report


def test_the_database_backends_count_what_they_spent_during_the_step():
    # Kept open through the step (gunicorn's connections): what it spent meanwhile, 2 s; opened
    # during it: all of its 0.5 s; closed during it: lost, as the bench keeps them open.
    before = {101: 10.0, 102: 4.0}
    after = {101: 12.0, 103: 0.5}
    assert spent_by_backends(before, after) == 2.5


def test_a_step_without_saves_or_shots_fails_its_checks():
    quiet = step("paced", 67, 66.0, 20.0, cpu=6.0)
    quiet.tally = {"polls": 3000}
    failed = [label for label, ok in checks([quiet]) if not ok]
    assert failed == [
        "the editor's saves went through (0 saves)",
        "with shots being edited, live answers carried them",
    ]


@pytest.mark.integration
def test_a_tiny_run_measures_every_step(tmp_path):
    """The whole bench on three shots and three members, on SQLite in a folder of its own,
    with two gunicorn workers: every step reported, every check passed."""
    env = {
        **os.environ,
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        "TMPDIR": str(tmp_path),
    }
    argv = [sys.executable, "-m", "bench.live_load", "--shots", "3", "--takes", "1"]
    argv += ["--members", "3", "--interval", "1", "--edit-every", "0.5", "--seconds", "4"]
    argv += ["--step-seconds", "3", "--faster", "2", "--database-url", "sqlite://"]
    run = subprocess.run(
        argv, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "gunicorn.conf.py: 2 workers x 2 threads" in run.stdout
    for load in ("3 members, every 1 s", "3 members, every 0.5 s", "3 members, back-to-back"):
        assert f"| {load} |" in run.stdout
    assert "capacity by CPU" in run.stdout and "FAIL" not in run.stdout
