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


def share_gateway_client() -> None:
    """An experiment (--shared-client), not the studio: one kept-alive GatewayClient per worker
    process instead of a new one, with its own TLS context, per call."""
    from django.conf import settings

    from studio.gateway import GatewayClient
    from studio.generation import services

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

    services.gateway_client = shared


if __name__ == "__main__":
    main()
