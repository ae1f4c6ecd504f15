"""The simulator's settings: one frozen dataclass, set by the CLI, by Python or over /_sim/config.

Each field's help text lives in its metadata, so the CLI options are generated from this class.
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Union, get_args, get_origin, get_type_hints

from devtools.simulator.faults import parse_fault

RECORD_SHAPES = ("model_page", "docs", "alternate")
# Only settings that new work picks up can change while the server runs.
START_ONLY = frozenset({"media_dir"})


def _option(default: Any, help_text: str) -> Any:
    return field(default=default, metadata={"help": help_text})


@dataclass(frozen=True)
class SimulatorConfig:
    queue_seconds: float = _option(2.0, "seconds a job stays queued")
    run_seconds: float = _option(6.0, "seconds a job runs, before the per-second part")
    run_seconds_per_video_second: float = _option(0.25, "running seconds added per video second")
    time_factor: float = _option(1.0, "multiplies queue and running times (0.1: ten times faster)")
    run_spread: float = _option(
        0.0,
        "sigma of a log-normal factor on each job's running time (0: fixed times; 0.3: about "
        "30 percent, like real renders); the configured time stays the median",
    )
    seed: int | None = _option(None, "seeds the running-time spread (default: each job's own id)")
    record_shape: str = _option(
        "alternate",
        "model_page (processing, result.url), docs (running, result.file_url), "
        "or alternate (per job)",
    )
    min_poll_interval: float = _option(3.0, "a poll of the same job sooner than this gets 304")
    rpm: int = _option(600, "requests per minute per API key (60 s rolling window)")
    wallet_cents: int = _option(
        10_000_000, "wallet balance in cents; setting it resets the balance"
    )
    media_url_ttl: float = _option(86_400.0, "seconds a signed media URL stays valid")
    media_bytes_per_second: int = _option(
        0,
        "serve media this fast, a little at a time, like a host that drips bytes (0: at once)",
    )
    media_dir: str | None = _option(None, "where rendered videos are cached (default: a temp dir)")
    resolution: str = _option("1280x720", "16:9 frame size WxH; 9:16 videos use it turned upright")
    public_url: str | None = _option(None, "origin for media URLs (default: the request's Host)")
    honour_idempotency_key: bool = _option(True, "replay a submit that repeats an Idempotency-Key")
    webhook_secret: str | None = _option(None, "signing secret; webhooks are sent only if set")
    faults: tuple[str, ...] = _option((), "fault specs, see devtools/simulator/faults.py")

    def __post_init__(self) -> None:
        for name in (
            "queue_seconds",
            "run_seconds",
            "run_seconds_per_video_second",
            "min_poll_interval",
            "run_spread",
            "media_bytes_per_second",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.time_factor <= 0:
            raise ValueError("time_factor must be positive")
        if self.rpm < 1:
            raise ValueError("rpm must be at least 1")
        if self.record_shape not in RECORD_SHAPES:
            raise ValueError(f"record_shape must be one of {', '.join(RECORD_SHAPES)}")
        _frame_size(self.resolution)
        for spec in self.faults:
            parse_fault(spec)

    def frame_size(self, aspect_ratio: str) -> tuple[int, int]:
        """(width, height) of a frame: `resolution` for 16:9, turned upright for 9:16."""
        width, height = _frame_size(self.resolution)
        return (width, height) if aspect_ratio == "16:9" else (height, width)

    def merged(self, changes: Mapping[str, Any]) -> SimulatorConfig:
        """A copy with `changes` applied; strings are converted, so CLI values work too."""
        hints = get_type_hints(SimulatorConfig)
        unknown = set(changes) - set(hints)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(
            self, **{name: _convert(name, hints[name], v) for name, v in changes.items()}
        )

    def as_json(self) -> dict[str, Any]:
        return {item.name: getattr(self, item.name) for item in fields(self)}


def _frame_size(resolution: str) -> tuple[int, int]:
    # H.264 in yuv420p needs even sides.
    match = re.fullmatch(r"(\d+)x(\d+)", resolution)
    if not match or any(int(side) % 2 or int(side) < 16 for side in match.groups()):
        raise ValueError("resolution must be WIDTHxHEIGHT with even sides of 16 or more")
    return int(match[1]), int(match[2])


def _convert(name: str, hint: Any, value: Any) -> Any:
    optional = get_origin(hint) in (Union, types.UnionType) and type(None) in get_args(hint)
    if value is None and optional:
        return None
    target = next(arg for arg in get_args(hint) if arg is not type(None)) if optional else hint
    if get_origin(target) is tuple:
        if isinstance(value, str) or not all(isinstance(item, str) for item in value):
            raise ValueError(f"{name} must be a list of strings")
        return tuple(value)
    if target is bool:
        return _boolean(name, value)
    if target in (int, float) and not isinstance(value, bool):
        try:
            converted = target(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number") from None
        if target is int and isinstance(value, float) and value != converted:
            raise ValueError(f"{name} must be a whole number")
        return converted
    if target is str and isinstance(value, str):
        return value
    raise ValueError(f"{name} has the wrong type: {value!r}")


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
        return value.lower() in ("true", "1", "yes")
    raise ValueError(f"{name} must be true or false")
