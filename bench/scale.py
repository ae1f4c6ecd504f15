"""Running the clock faster: every timing setting that paces polling is multiplied by the same
factor as the simulator's job times, so a bench second stands for 1/scale real seconds and ratios
between pollers are the real ones. Applied to the bench process's settings; part 2's worker runs
on the real timings, which it reads from its own settings."""

from django.conf import settings

# The studio's timing settings (seconds) that decide when a take is polled, re-polled after
# an error, or handed out by the dispatcher.
TIMINGS = (
    "STUDIO_POLL_FLOOR_SECONDS",
    "STUDIO_POLL_NEAR_SECONDS",
    "STUDIO_POLL_FIRST_GRACE_SECONDS",
    "STUDIO_POLL_EARLY_MAX_SECONDS",
    "STUDIO_POLL_LATE_MAX_SECONDS",
    "STUDIO_POLL_UNLEARNED_MAX_SECONDS",
    "STUDIO_WEBHOOK_SAFETY_POLL_SECONDS",
    # How often the dispatcher runs (beat's 1 s), so that it adds what it adds in real time.
    "STUDIO_DISPATCH_EVERY_SECONDS",
    # How far apart the polls of one batch may fall due: a batch goes when its last is due.
    "STUDIO_POLL_BATCH_SPREAD_SECONDS",
)


def apply_time_scale(scale: float) -> dict[str, float]:
    """Multiply the studio's timing settings by `scale`, once, before the bench starts; returns
    what they now are."""
    applied = {name: getattr(settings, name) * scale for name in TIMINGS}
    for name, value in applied.items():
        setattr(settings, name, value)
    return applied
