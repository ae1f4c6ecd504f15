"""The bench runs the clock faster by setting the studio's timing settings, which the studio
reads at each call: no module of the studio is patched."""

from datetime import timedelta

from bench.scale import TIMINGS, apply_time_scale
from studio.generation import dispatch, polling, steps


def test_time_scale_sets_every_timing_setting_and_the_studio_follows(settings):
    for name in TIMINGS:  # set through the fixture, so each is put back afterwards
        setattr(settings, name, getattr(settings, name))
    near, spread = settings.STUDIO_POLL_NEAR_SECONDS, settings.STUDIO_POLL_BATCH_SPREAD_SECONDS
    applied = apply_time_scale(0.5)
    assert set(applied) == set(TIMINGS)
    assert steps.poll_intervals().near == timedelta(seconds=near * 0.5)
    assert dispatch.poll_batch_spread() == timedelta(seconds=spread * 0.5)
    assert dispatch.dispatch_ahead() == timedelta(seconds=settings.STUDIO_DISPATCH_EVERY_SECONDS)
    assert not hasattr(polling, "NEAR_INTERVAL") and not hasattr(dispatch, "DISPATCH_AHEAD")
