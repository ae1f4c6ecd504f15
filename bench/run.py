"""python -m bench: run the parts, print the figures (see BENCHMARKS.md for what they mean)."""

import argparse
import os
import platform
import sys
import time
import warnings
from pathlib import Path

from bench import env
from bench.jobs import DEFAULT_SCALE, job_times


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--parts", default="1,2,3", help="which parts to run (default: 1,2,3)")
    parser.add_argument("--time-scale", type=float, default=DEFAULT_SCALE)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--takes", type=int, default=150, help="part 1: takes per run")
    parser.add_argument("--arrive-over", type=float, default=40.0, help="part 1: seconds")
    parser.add_argument("--warmup", type=int, default=100, help="parts 1, 3: takes per duration")
    parser.add_argument("--capacity-jobs", type=int, default=2000, help="part 2")
    parser.add_argument("--hold-seconds", type=float, default=15.0, help="part 2: per stage")
    # The 1,000 takes need at least 2,000 calls: over 200 s at 600 RPM.
    parser.add_argument("--rpm-takes", type=int, default=1000, help="part 3")
    parser.add_argument("--rpm-arrive-over", type=float, default=200.0, help="part 3: seconds")
    parser.add_argument(
        "--budget-rpm", type=int, default=0, help="part 3 experiment: the studio's AIGATEWAY_RPM"
    )
    parser.add_argument("--part-seconds", type=float, default=300.0, help="a bound per run")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, db)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The bench serves no static files; whitenoise warns that none were collected.
    warnings.filterwarnings("ignore", message="No directory at")
    parts = {int(part) for part in args.parts.split(",") if part.strip()}
    started = time.monotonic()
    with env.prepared(rpm=30_000, keep=args.keep) as workdir:
        run_parts(args, parts, workdir)
    print(f"\nbench finished in {time.monotonic() - started:.0f} s, load average {load_average()}")
    return 0


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def run_parts(args: argparse.Namespace, parts: set[int], workdir) -> None:
    from bench.services import simulator

    with simulator(workdir, rpm=30_000, **job_times(args.time_scale, args.seed)) as sim:
        os.environ["AIGATEWAY_BASE_URL"] = sim.url
        import django

        django.setup()
        from django.core.management import call_command

        from bench.scale import apply_time_scale

        call_command("migrate", verbosity=0, interactive=False)
        scaled = apply_time_scale(args.time_scale)
        print(
            f"bench: {platform.node()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
            f"load average {load_average()}"
        )
        print(
            f"time scale {args.time_scale}: " + ", ".join(f"{k}={v:g}s" for k, v in scaled.items())
        )
        print(f"work folder {workdir}, simulator {sim.url}")
        if 1 in parts:
            from bench import part1

            part1.run(sim, args)
        if 2 in parts:
            from bench import part2

            part2.run(sim, args, workdir)
        if 3 in parts:
            from bench import part3

            part3.run(sim, args)
