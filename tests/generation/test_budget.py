"""The shared gateway request budget, against the test session's Redis (flushed per test).

No Django database: the budget lives in Redis only. Where time matters the budget gets a fake
clock; the concurrency tests use the real one and finish well inside one window.
"""

import multiprocessing
import os
import socket
import threading
from collections.abc import Iterator

import pytest
import redis

from studio.generation.budget import WINDOW, BudgetUnavailable, Kind, RequestBudget

REDIS_URL = os.environ["TEST_BUDGET_REDIS_URL"]  # set by tests/conftest.py
T0 = 1_700_000_000.0
# Most tests here are about the rolling window, so their bucket holds a whole window and never
# binds first; the pacing tests use the default bucket.


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    except redis.ConnectionError:
        pytest.fail(f"the test session's Redis at {REDIS_URL} does not answer")
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nobody listens there now: the connection is refused at once.
    return f"redis://127.0.0.1:{port}/0"


def grant_count(budget: RequestBudget, kind: Kind, times: int) -> int:
    return sum(budget.acquire(kind) == 0.0 for _ in range(times))


def test_grants_rpm_submits_then_waits_for_the_oldest_to_leave(client, clock):
    budget = RequestBudget(client, rpm=10, burst_seconds=WINDOW, clock=clock)
    for _ in range(10):
        assert budget.acquire("submit") == 0.0
        clock.advance(1)
    # Now T0 + 10; the first request, at T0, leaves the window at T0 + 60.
    assert budget.acquire("submit") == pytest.approx(50)
    assert budget.usage()["requests"] == 10

    clock.advance(50)
    assert budget.acquire("submit") == 0.0
    assert budget.acquire("submit") == pytest.approx(1)  # the second, at T0 + 1


def test_a_refusal_counts_nothing(client, clock):
    budget = RequestBudget(client, rpm=2, burst_seconds=WINDOW, clock=clock)
    assert grant_count(budget, "submit", 2) == 2
    for _ in range(5):
        assert budget.acquire("submit") > 0
    assert budget.usage()["requests"] == 2


def test_polls_stop_at_their_share_while_submits_get_through(client, clock):
    budget = RequestBudget(client, rpm=10, poll_share=0.8, burst_seconds=WINDOW, clock=clock)
    assert grant_count(budget, "poll", 20) == 8
    clock.advance(5)
    assert budget.acquire("poll") == pytest.approx(55)  # the first poll leaves at T0 + 60

    assert budget.acquire("submit") == 0.0
    assert budget.acquire("cancel") == 0.0
    assert budget.acquire("submit") == pytest.approx(55)
    assert budget.usage() == {
        "requests": 10,
        "polls": 8,
        "rpm": 10,
        "poll_limit": 8,
        "paused_until": None,
        "tokens": pytest.approx(5 / 6),  # refilled over the 5 s since the window filled
    }


def test_a_batch_is_granted_what_single_requests_would_be_in_one_round_trip(client, clock):
    budget = RequestBudget(client, rpm=10, poll_share=0.8, burst_seconds=WINDOW, clock=clock)
    assert budget.acquire_many("poll", 5) == (5, 0.0)
    clock.advance(5)
    # 3 more polls fit the poll lane; the fourth waits for the first batch to leave.
    assert budget.acquire_many("poll", 20) == (3, pytest.approx(55))
    assert budget.acquire_many("poll", 1) == (0, pytest.approx(55))
    assert budget.usage()["requests"] == 8 and budget.usage()["polls"] == 8
    # Submits still get the rest of the window; each granted request is its own member.
    assert budget.acquire_many("submit", 5) == (2, pytest.approx(55))
    assert budget.usage()["requests"] == 10


def test_a_batch_is_paced_by_the_bucket_and_a_pause_grants_none(client, clock):
    budget = RequestBudget(client, rpm=600, poll_share=0.8, clock=clock)  # 20 tokens
    granted, wait = budget.acquire_many("poll", 50)
    # Polls leave 20% of the bucket to submits: 1 + 0.2 * 19 tokens stay after the last.
    assert granted == 16 and wait == pytest.approx((budget.poll_reserve + 1 - 4) / 10)
    assert grant_count(budget, "submit", 10) == 4
    budget.slow_down(3)
    clock.advance(1)
    assert budget.acquire_many("poll", 5) == (0, pytest.approx(2))


def test_poll_waits_for_the_whole_window_when_submits_fill_it(client, clock):
    budget = RequestBudget(client, rpm=10, burst_seconds=WINDOW, clock=clock)
    assert grant_count(budget, "submit", 10) == 10
    clock.advance(20)
    assert budget.acquire("poll") == pytest.approx(40)


def test_a_tiny_budget_still_polls(client, clock):
    budget = RequestBudget(client, rpm=1, poll_share=0.8, clock=clock)
    assert budget.poll_limit == 1
    assert budget.acquire("poll") == 0.0


def test_window_rolls_after_sixty_seconds(client, clock):
    budget = RequestBudget(client, rpm=10, burst_seconds=WINDOW, clock=clock)
    assert grant_count(budget, "submit", 10) == 10
    assert budget.acquire("submit") == pytest.approx(60)

    clock.advance(60)
    assert budget.usage()["requests"] == 0
    assert grant_count(budget, "submit", 11) == 10


def test_keys_expire_so_nothing_lingers(client, clock):
    budget = RequestBudget(client, rpm=10, burst_seconds=WINDOW, clock=clock)
    budget.acquire("poll")
    budget.slow_down(5)
    for key in (budget.requests_key, budget.polls_key):
        assert 0 < client.pttl(key) <= 61_000
    assert 0 < client.pttl(budget.paused_key) <= 6_000


def test_concurrent_threads_are_granted_exactly_rpm(client):
    budget = RequestBudget(client, rpm=50, burst_seconds=WINDOW)
    start = threading.Barrier(8)
    granted: list[int] = []

    def worker() -> None:
        start.wait()
        granted.append(grant_count(budget, "submit", 25))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(granted) == 50
    assert budget.usage()["requests"] == 50


def acquire_in_child(start, results, url: str) -> None:
    # Each process is a worker with its own connection and its own RequestBudget.
    budget = RequestBudget(redis.Redis.from_url(url), rpm=50, burst_seconds=WINDOW)
    start.wait()
    results.put(grant_count(budget, "submit", 50))


def test_concurrent_processes_are_granted_exactly_rpm(client):
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(4)
    results = ctx.Queue()
    processes = [
        ctx.Process(target=acquire_in_child, args=(start, results, REDIS_URL)) for _ in range(4)
    ]
    for process in processes:
        process.start()
    granted = [results.get(timeout=30) for _ in processes]
    for process in processes:
        process.join(timeout=10)
        assert process.exitcode == 0

    assert sum(granted) == 50
    # Counted by the entries, not by usage(): the children's clocks are the machine's, and
    # this process's may be moved (pytest --clock).
    assert client.zcard(RequestBudget(client, rpm=50).requests_key) == 50


def test_slow_down_pauses_every_worker_and_is_never_shortened(client, clock):
    worker_a = RequestBudget(client, rpm=10, burst_seconds=WINDOW, clock=clock)
    worker_b = RequestBudget(client, rpm=10, burst_seconds=WINDOW, clock=clock)
    elsewhere = RequestBudget(client, rpm=10, key_prefix="other-key", clock=clock)

    worker_a.slow_down(30)
    assert worker_b.acquire("submit") == pytest.approx(30)
    assert worker_a.acquire("poll") == pytest.approx(30)
    assert elsewhere.acquire("submit") == 0.0

    clock.advance(10)
    worker_b.slow_down(5)  # ends before the pause already set
    assert worker_a.acquire("submit") == pytest.approx(20)
    assert worker_b.usage()["paused_until"] == pytest.approx(T0 + 30)
    assert worker_b.usage()["requests"] == 0

    clock.advance(20)
    assert worker_a.acquire("submit") == 0.0
    assert worker_b.usage()["paused_until"] is None


def test_a_longer_slow_down_extends_the_pause(client, clock):
    budget = RequestBudget(client, rpm=10, burst_seconds=WINDOW, clock=clock)
    budget.slow_down(5)
    budget.slow_down(20)
    assert budget.acquire("submit") == pytest.approx(20)


def test_pause_and_full_window_wait_for_the_later_of_the_two(client, clock):
    budget = RequestBudget(client, rpm=2, burst_seconds=WINDOW, clock=clock)
    assert grant_count(budget, "submit", 2) == 2
    budget.slow_down(5)
    assert budget.acquire("submit") == pytest.approx(60)


def test_wait_is_never_below_the_minimum(client, clock):
    budget = RequestBudget(client, rpm=1, clock=clock)
    assert budget.acquire("submit") == 0.0
    clock.advance(59.999)
    assert budget.acquire("submit") == pytest.approx(0.05)


def test_calls_are_paced_evenly_instead_of_spending_the_minute_at_once(client, clock):
    budget = RequestBudget(client, rpm=600, clock=clock)  # 10 a second, 2 s of burst
    assert grant_count(budget, "submit", 100) == 20
    assert budget.acquire("submit") == pytest.approx(0.1)
    # Most of a minute of steady demand: about ten go every second, never a burst followed by
    # a long wait (the window alone would have granted 600 at once, then nothing for 60 s).
    per_second = []
    for _ in range(57):
        granted = 0
        for _ in range(20):
            clock.advance(0.05)
            granted += grant_count(budget, "submit", 3)
        per_second.append(granted)
    assert set(per_second) <= {9, 10, 11}
    assert sum(per_second) == pytest.approx(570, abs=2)


def test_polls_leave_part_of_the_bucket_for_submits(client, clock):
    budget = RequestBudget(client, rpm=600, poll_share=0.8, clock=clock)
    assert grant_count(budget, "poll", 100) == 16
    assert budget.acquire("poll") > 0
    assert grant_count(budget, "submit", 10) == 4


def test_room_says_how_many_may_go_soon_and_counts_nothing(client, clock):
    budget = RequestBudget(client, rpm=600, poll_share=0.8, clock=clock)
    assert budget.room("submit", within=1) == 30  # 20 in the bucket, 10 more meanwhile
    assert budget.room("poll", within=1) == 26
    grant_count(budget, "submit", 20)
    assert budget.room("submit", within=1) == 10
    assert budget.room("poll", within=1) == 6
    budget.slow_down(5)
    assert budget.room("submit", within=1) == 0
    assert budget.usage()["requests"] == 20


def test_redis_down_raises_budget_unavailable():
    budget = RequestBudget(redis.Redis.from_url(closed_port_url()), rpm=10)
    with pytest.raises(BudgetUnavailable):
        budget.acquire("submit")
    with pytest.raises(BudgetUnavailable):
        budget.slow_down(5)
    with pytest.raises(BudgetUnavailable):
        budget.usage()


def test_from_settings_reads_rpm_and_its_own_redis_url(settings):
    settings.AIGATEWAY_RPM = 10
    settings.STUDIO_BUDGET_REDIS_URL = closed_port_url()
    budget = RequestBudget.from_settings()
    assert budget.rpm == 9  # a request of headroom under the gateway's 10
    assert budget.poll_limit == 7
    with pytest.raises(BudgetUnavailable):
        budget.acquire("poll")


def test_unknown_kind_and_bad_limits_are_refused(client):
    with pytest.raises(ValueError, match="rpm"):
        RequestBudget(client, rpm=0)
    with pytest.raises(ValueError, match="poll_share"):
        RequestBudget(client, rpm=10, poll_share=0)
    with pytest.raises(ValueError, match="burst_seconds"):
        RequestBudget(client, rpm=10, burst_seconds=0)
    with pytest.raises(ValueError, match="kind"):
        RequestBudget(client, rpm=10).acquire("status")  # type: ignore[arg-type]
