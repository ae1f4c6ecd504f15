"""The bound the bench prints: the fewest calls any poll plan can make while 95% of takes are
seen done within 6 s. It is what says that 4x fewer calls than a 3 s poller at 6 s is beyond
polling for the gateway's render times, so it is checked where its answer is known."""

from bench.bound import best_plan


def test_fixed_render_times_need_only_the_submit_and_the_poll_that_sees_it_done():
    assert best_plan(storing=0.1, spread=0.0).calls == 2


def test_render_times_spread_like_the_gateways_allow_about_4x_at_6_s_and_no_more():
    assert 4.0 < best_plan(storing=0.1).ratio < 4.15
    # A narrower spread leaves more room; slower storing, less.
    assert best_plan(storing=0.1, spread=0.2).ratio > 5
    assert best_plan(storing=0.5).ratio < best_plan(storing=0.1).ratio
