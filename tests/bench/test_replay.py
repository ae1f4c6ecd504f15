"""bench.replay: part 1's learned schedule on the simulator's render times, with no clock."""

from types import SimpleNamespace

from bench import replay
from devtools.simulator import engine
from devtools.simulator.config import SimulatorConfig


def test_render_times_are_the_simulators_for_the_seed():
    """The n-th job of a seeded run gets the same running time in the simulator and here."""
    draws = replay.renders(7, 6)
    assert [duration for duration, _ in draws] == [4, 8, 4, 8, 4, 8]
    seeded = SimpleNamespace(
        config=SimulatorConfig(run_spread=0.3, seed=7), _spread_random=engine._seeded(7)
    )
    for index, (duration, seconds) in enumerate(draws):
        factor = engine.SimulatedGateway._spread_factor(seeded, f"job_{index}")  # type: ignore[arg-type]
        assert seconds == 2 + (20 + 12 * duration) * factor


def test_a_small_replay_keeps_the_lag_and_saves_calls():
    result = replay.replay(3, takes=80, warmup=30, gap=2.0, storing=0.16)
    assert result.p95 <= 6.0
    assert result.baseline / result.calls > 3.0
    for median, spread, fifth, *_ in result.learned.values():
        assert 0.2 < spread < 0.4 and fifth < median
