"""python -m devtools.simulator: run the gateway simulator until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from dataclasses import fields
from typing import Any

from devtools.simulator import faults
from devtools.simulator.config import SimulatorConfig
from devtools.simulator.server import SimulatorServer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.simulator",
        description="A local stand-in for the AI gateway: same API, real MP4s, switchable faults.",
        epilog=faults.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    # One option per SimulatorConfig field, so the two can never drift apart.
    for item in fields(SimulatorConfig):
        help_text = item.metadata["help"]
        if item.default not in (None, ()):
            help_text += f" (default: {item.default})"
        if item.name == "faults":
            parser.add_argument(
                "--fault",
                dest="faults",
                action="append",
                metavar="SPEC",
                help="a fault (syntax below); repeat the option for several",
            )
        elif isinstance(item.default, bool):
            parser.add_argument(
                f"--{item.name.replace('_', '-')}",
                action=argparse.BooleanOptionalAction,
                default=None,
                help=help_text,
            )
        else:
            parser.add_argument(
                f"--{item.name.replace('_', '-')}",
                default=None,
                metavar="VALUE",
                help=help_text,
            )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    given: dict[str, Any] = {
        item.name: getattr(args, item.name)
        for item in fields(SimulatorConfig)
        if getattr(args, item.name) is not None
    }
    try:
        config = SimulatorConfig().merged(given)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        server = SimulatorServer(args.host, args.port, config, log_requests=not args.quiet)
    except OSError as exc:
        print(f"Cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    # Ctrl-C and SIGTERM only leave a mark, taking no lock: a handler that set a threading.Event
    # deadlocked when a second signal came while the first held the Event's lock (Ctrl-C in
    # `make run` reaches every process while the launcher sends each SIGTERM), and the
    # simulator outlived the studio. (Blocking them for sigwait instead would leave them blocked
    # in the ffmpeg processes the renderer starts, which inherit the mask.)
    stop_requested: list[int] = []
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda number, _: stop_requested.append(number))
    server.start()
    print(f"Gateway simulator listening on {server.url}", flush=True)
    try:
        while not stop_requested:
            time.sleep(0.2)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
