"""`python -m bench.worker`: a Celery worker (prefork, concurrency 2, with beat) whose poll
intervals are scaled like the bench's (BENCH_TIME_SCALE); the prefork children inherit the
scaling."""

import os

import django


def main() -> None:
    django.setup()
    from celery.signals import worker_ready
    from django.conf import settings

    from bench.scale import apply_time_scale
    from studio.celery import app

    apply_time_scale(float(os.environ.get("BENCH_TIME_SCALE", "1")))
    if os.environ.get("BENCH_SHARED_CLIENT"):
        share_gateway_client()
    if os.environ.get("BENCH_POLL_LATENESS"):
        record_poll_lateness(os.environ["BENCH_POLL_LATENESS"])
    # Its INFO log would write a line per task: say "ready" at WARNING instead.
    worker_ready.connect(lambda **_: print("bench worker ready.", flush=True), weak=False)
    app.worker_main(
        [
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            "2",
            "--pool",
            "prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--hostname",
            f"bench-{os.getpid()}@%h",
            # Beat inside the worker runs the dispatcher that hands out every poll.
            "--beat",
            "--schedule",
            str(settings.VAR_DIR / "bench-beat-schedule"),
        ]
    )


LATENESS_KEY = "bench:poll-late"  # seconds each poll was claimed after it fell due
DUE_KEY = "bench:poll-due"  # when each handed-out poll falls due, by take


def record_poll_lateness(redis_url: str) -> None:
    """Measure, not estimate, how late each poll starts: the dispatcher's hand-outs say when
    each poll falls due (its lease less the claim lease, plus its countdown) and the batch that
    claims it says when it started. Kept in Redis, read by part 2. Applied before the prefork
    children are made, so they inherit it."""
    import time

    import redis

    from studio.generation import dispatch as dispatch_module
    from studio.generation import steps as steps_module
    from studio.generation.transitions import claim_lease

    store = redis.Redis.from_url(redis_url)
    dispatch, poll = dispatch_module.takes_dispatch, steps_module.takes_poll

    def takes_dispatch(**kwargs):
        steps = dispatch(**kwargs)
        due = {
            step.take_id: (step.lease - claim_lease() + step.after).timestamp()
            for step in steps
            if step.action == "poll"
        }
        if due:
            store.hset(DUE_KEY, mapping=due)
        return steps

    def takes_poll(*, take_ids, lease=None):
        started = time.time()
        due = store.hmget(DUE_KEY, list(take_ids))
        steps = poll(take_ids=take_ids, lease=lease)
        pairs = zip(take_ids, due, strict=True)
        late = [started - float(at) for pk, at in pairs if at and pk in steps]
        if late:
            store.rpush(LATENESS_KEY, *late)
        return steps

    dispatch_module.takes_dispatch = takes_dispatch
    steps_module.takes_poll = takes_poll


def share_gateway_client() -> None:
    """An experiment (--shared-client), not the studio: one kept-alive GatewayClient per worker
    process instead of a new one, with its own TLS context, per call."""
    from django.conf import settings

    from studio.gateway import GatewayClient
    from studio.generation import steps

    class KeptClient(GatewayClient):
        def __exit__(self, *exc_info) -> None:
            pass  # kept open for the next call

    clients: dict[int, GatewayClient] = {}

    def shared() -> GatewayClient:
        # One per process: prefork children must not share the parent's sockets.
        pid = os.getpid()
        if pid not in clients:
            clients[pid] = KeptClient(
                settings.AIGATEWAY_BASE_URL,
                settings.AIGATEWAY_API_KEY,
                timeout=settings.AIGATEWAY_TIMEOUT,
            )
        return clients[pid]

    steps.gateway_client = shared


if __name__ == "__main__":
    main()
