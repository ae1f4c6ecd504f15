"""Running the clock faster: every poll interval the studio uses is multiplied by the same factor
as the simulator's job times, so a bench second stands for 1/scale real seconds and ratios between
pollers are the real ones. Applied inside the bench process (and in the worker it starts)."""

from datetime import timedelta

# The studio's intervals that decide when a take is polled (or re-polled after an error).
POLLING_INTERVALS = (
    "MIN_INTERVAL",
    "NEAR_INTERVAL",
    "FIRST_POLL_GRACE",
    "EARLY_INTERVAL",
    "MAX_INTERVAL",
    "UNLEARNED_MAX_INTERVAL",
)


def apply_time_scale(scale: float) -> dict[str, timedelta]:
    """Multiply the studio's poll intervals by `scale`; returns what they now are."""
    from django.conf import settings

    from studio.generation import dispatch, polling, steps

    if scale == 1:
        return {}
    applied = {}
    for name in POLLING_INTERVALS:
        value = _original(polling, name) * scale
        setattr(polling, name, value)
        applied[f"polling.{name}"] = value
    settings.STUDIO_POLL_FLOOR_SECONDS = polling.MIN_INTERVAL.total_seconds()
    # steps and dispatch bind these at import time.
    steps.WEBHOOK_SAFETY_POLL = _original(steps, "WEBHOOK_SAFETY_POLL") * scale
    applied["steps.WEBHOOK_SAFETY_POLL"] = steps.WEBHOOK_SAFETY_POLL
    # How often the dispatcher runs (beat's 1 s), so that it adds what it adds in real time.
    dispatch.DISPATCH_AHEAD = _original(dispatch, "DISPATCH_AHEAD") * scale
    applied["dispatch.DISPATCH_AHEAD"] = dispatch.DISPATCH_AHEAD
    # How far apart the polls of one batch may fall due: a batch goes when its last is due.
    dispatch.POLL_BATCH_SPREAD = _original(dispatch, "POLL_BATCH_SPREAD") * scale
    applied["dispatch.POLL_BATCH_SPREAD"] = dispatch.POLL_BATCH_SPREAD
    return applied


def _original(module, name: str) -> timedelta:
    # Remember the module's own value, so applying twice does not compound.
    saved = module.__dict__.setdefault("_bench_originals", {})
    return saved.setdefault(name, getattr(module, name))
