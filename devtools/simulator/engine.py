"""The simulated gateway's rules and state, apart from HTTP framing (that is server.py's job).

Job status follows wall-clock time: queued until `started_at`, running until `finishes_at` and until
its video file exists, then completed (or failed, if a fault doomed it). It is brought up to date
whenever a job is looked at, and by the server's ticker so that webhooks leave on time.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import random
import secrets
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from devtools.simulator.config import START_ONLY, SimulatorConfig
from devtools.simulator.faults import FAILURE_MESSAGES, FaultBook, JobFault, RequestFault
from devtools.simulator.protocol import ApiCall, Order, Refused, Reply, error_reply, parse_order
from devtools.simulator.video import VideoRenderer
from devtools.simulator.webhooks import WebhookSender, job_event

API_KEY_PREFIX = "sk-aig-"
BROKE_API_KEY = "sk-aig-broke"
RATE_WINDOW_SECONDS = 60.0
TERMINAL = frozenset({"completed", "failed", "cancelled"})
_COMPLETE_NOW_TIMEOUT = 120.0


@dataclass
class Job:
    id: str
    api_key: str
    order: Order
    shape: str  # "model_page" or "docs"
    size: tuple[int, int]
    created: int
    started_at: float  # time.monotonic() when the queue time is over
    finishes_at: float  # time.monotonic() when the running time is over
    origin: str
    idempotency_key: str | None
    doom: JobFault | None
    render: Future[Path] | None
    status: str = "queued"
    error: tuple[str, str] | None = None
    media_path: Path | None = None
    billed_cents: int = 0
    completed_at: float | None = None  # time.time() when its running time ended, once completed


class SimulatedGateway:
    def __init__(
        self, config: SimulatorConfig, renderer: VideoRenderer, webhooks: WebhookSender
    ) -> None:
        self._start_config = config
        self._renderer = renderer
        self._webhooks = webhooks
        self._media_key = secrets.token_bytes(32)
        self._lock = threading.RLock()
        self._handlers: dict[str, Callable[[str, ApiCall], Reply]] = {
            "submit": self._submit,
            "poll": self._poll,
            "cancel": self._cancel,
        }
        self._reset_state(config)

    def _reset_state(self, config: SimulatorConfig) -> None:
        self.config = config
        self._faults = FaultBook(config.faults)
        self._wallet_cents = config.wallet_cents
        self._jobs: dict[str, Job] = {}
        self._by_idempotency_key: dict[tuple[str, str], str] = {}
        self._accepted_per_idempotency_key: Counter[str] = Counter()
        self._rate_window: defaultdict[str, deque[float]] = defaultdict(deque)
        self._last_poll: dict[tuple[str, str], float] = {}
        # Requests per endpoint, and answers worth counting ("429", "304", ...).
        self._counts: Counter[str] = Counter()
        # Media requests by the Host they were sent to: workers that reach the gateway by
        # different names (127.0.0.1, localhost) are told apart (bench/machines.py).
        self._media_by_host: Counter[str] = Counter()
        # The most requests one key had in its rolling window: how close it came to the limit.
        self._window_peak = 0
        self._billed_cents_total = 0
        self._spread_random = _seeded(config.seed)

    # The gateway API.

    def api_request(self, call: ApiCall) -> Reply:
        fault: RequestFault | None = None
        try:
            with self._lock:
                self._counts[call.endpoint] += 1
                api_key = self._admit(call.authorization)
                fault = self._faults.take_request_fault(call.endpoint)
            if fault and not fault.after:
                reply = _fault_reply(fault)
            else:
                reply = self._handlers[call.endpoint](api_key, call)
        except Refused as refusal:
            reply = refusal.reply
        if fault and fault.after:
            reply = _hide_answer(reply, fault)
        self._count_reply(reply)
        return reply

    def _admit(self, authorization: str | None) -> str:
        """The caller's API key, if it is valid and within its rate limit."""
        scheme, _, api_key = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not api_key.startswith(API_KEY_PREFIX):
            raise Refused(error_reply(401, "authentication_error", "Invalid or missing API key."))
        now = time.monotonic()
        window = self._rate_window[api_key]
        while window and window[0] <= now - RATE_WINDOW_SECONDS:
            window.popleft()
        if len(window) >= self.config.rpm:
            wait_seconds = max(1, math.ceil(window[0] + RATE_WINDOW_SECONDS - now))
            raise Refused(
                error_reply(
                    429,
                    "rate_limit_error",
                    f"Over the limit of {self.config.rpm} requests per minute for this key.",
                    {"Retry-After": str(wait_seconds)},
                )
            )
        window.append(now)
        self._window_peak = max(self._window_peak, len(window))
        return api_key

    def _submit(self, api_key: str, call: ApiCall) -> Reply:
        with self._lock:
            replayed = self._replayed_job(api_key, call.idempotency_key)
            if replayed:
                return Reply(200, self._record(replayed, call.origin))
            order = parse_order(call.body)
            if api_key == BROKE_API_KEY or order.cost_cents > self._available_cents():
                raise Refused(
                    error_reply(402, "insufficient_credits", "Wallet empty: top up to continue.")
                )
            job = self._create_job(api_key, order, call)
            return Reply(202, self._record(job, call.origin))

    def _poll(self, api_key: str, call: ApiCall) -> Reply:
        with self._lock:
            job = self._owned_job(api_key, call.job_id)
            now = time.monotonic()
            last_poll = self._last_poll.get((api_key, job.id))
            if last_poll is not None and now - last_poll < self.config.min_poll_interval:
                return Reply(304)
            self._last_poll[(api_key, job.id)] = now
            self._advance(job, now)
            return Reply(200, self._record(job, call.origin))

    def _cancel(self, api_key: str, call: ApiCall) -> Reply:
        # Cancelling a finished job changes nothing; the answer shows how it ended.
        with self._lock:
            job = self._owned_job(api_key, call.job_id)
            self._advance(job, time.monotonic())
            if job.status not in TERMINAL:
                job.status = "cancelled"
            return Reply(200, self._record(job, call.origin))

    def media_file(
        self, job_id: str, expires: str, sig: str, *, with_authorization: bool, host: str = ""
    ) -> Path:
        """The video behind a signed media URL; raises Refused (403 or 404) otherwise. `host`
        is the request's Host header, counted per host."""
        with self._lock:
            self._counts["media"] += 1
            self._media_by_host[host] += 1
            if with_authorization:
                self._counts["media_with_authorization"] += 1
            expected = self._sign(job_id, expires).encode()
            if not expires.isdigit() or not hmac.compare_digest(sig.encode(), expected):
                raise Refused(error_reply(403, "forbidden", "The media URL's signature is wrong."))
            if int(expires) <= time.time():
                raise Refused(error_reply(403, "forbidden", "The media URL has expired."))
            job = self._jobs.get(job_id)
            if job is None or job.media_path is None:
                raise Refused(error_reply(404, "not_found", "No such video."))
            return job.media_path

    # The control API.

    def state(self) -> dict[str, Any]:
        with self._lock:
            self.tick()
            return {
                "jobs": [_job_summary(job) for job in self._jobs.values()],
                "accepted": len(self._jobs),
                "accepted_per_idempotency_key": dict(self._accepted_per_idempotency_key),
                "billed_cents_total": self._billed_cents_total,
                "wallet_cents": self._wallet_cents,
                "requests": {
                    name: self._counts[name] for name in ("submit", "poll", "cancel", "media")
                },
                "rate_limited": self._counts["429"],
                "rate_window_peak": self._window_peak,
                "not_modified": self._counts["304"],
                "media_requests_with_authorization": self._counts["media_with_authorization"],
                "media_by_host": dict(self._media_by_host),
                "faults": self._faults.pending(),
                "webhooks": self._webhooks.deliveries(),
                "config": self.config.as_json(),
            }

    def configure(self, changes: Mapping[str, Any]) -> None:
        """Merge settings in; `faults` replaces the pending faults, `wallet_cents` the balance."""
        if START_ONLY & changes.keys():
            raise ValueError(f"{', '.join(sorted(START_ONLY))} can only be set at start")
        with self._lock:
            self.config = self.config.merged(changes)
            if "faults" in changes:
                self._faults = FaultBook(self.config.faults)
            if "wallet_cents" in changes:
                self._wallet_cents = self.config.wallet_cents
            if "seed" in changes:
                self._spread_random = _seeded(self.config.seed)

    def reset(self) -> None:
        """Forget every job, count and change: back to the settings the server started with."""
        with self._lock:
            self._reset_state(self._start_config)
            self._webhooks.clear()

    def complete_now(self, job_id: str, origin: str) -> Reply:
        """Skip the job's waiting time; answers once its video is rendered."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                raise Refused(error_reply(404, "not_found", f"No job {job_id}."))
            now = time.monotonic()
            job.started_at = min(job.started_at, now)
            job.finishes_at = min(job.finishes_at, now)
        if job.render is not None:
            wait([job.render], timeout=_COMPLETE_NOW_TIMEOUT)
        with self._lock:
            self._advance(job, time.monotonic())
            return Reply(200, self._record(job, origin))

    def tick(self) -> None:
        with self._lock:
            now = time.monotonic()
            for job in self._jobs.values():
                self._advance(job, now)

    # Jobs.

    def _replayed_job(self, api_key: str, idempotency_key: str | None) -> Job | None:
        if not idempotency_key or not self.config.honour_idempotency_key:
            return None
        job_id = self._by_idempotency_key.get((api_key, idempotency_key))
        return self._jobs.get(job_id) if job_id else None

    def _available_cents(self) -> int:
        # Running jobs are not charged yet, but their cost is spoken for.
        reserved = sum(
            job.order.cost_cents for job in self._jobs.values() if job.status not in TERMINAL
        )
        return self._wallet_cents - reserved

    def _create_job(self, api_key: str, order: Order, call: ApiCall) -> Job:
        config = self.config
        doom = self._faults.take_job_fault(order.prompt)
        size = config.frame_size(order.aspect_ratio)
        now = time.monotonic()
        started_at = now + config.queue_seconds * config.time_factor
        job_id = f"job_{secrets.token_hex(12)}"
        running = config.run_seconds + config.run_seconds_per_video_second * order.duration
        running *= self._spread_factor(job_id)
        job = Job(
            id=job_id,
            api_key=api_key,
            order=order,
            shape=self._next_shape(),
            size=size,
            created=int(time.time()),
            started_at=started_at,
            finishes_at=started_at + running * config.time_factor,
            origin=call.origin,
            idempotency_key=call.idempotency_key,
            doom=doom,
            # Rendering starts now so the file is ready when the running time is over.
            render=None
            if doom
            else self._renderer.render(
                prompt=order.prompt, duration=order.duration, width=size[0], height=size[1]
            ),
        )
        self._jobs[job.id] = job
        if call.idempotency_key:
            self._by_idempotency_key[(api_key, call.idempotency_key)] = job.id
            self._accepted_per_idempotency_key[call.idempotency_key] += 1
        return job

    def _spread_factor(self, job_id: str) -> float:
        """Real render times spread log-normally around a median set by model and duration.

        With a seed, the n-th job of a run always gets the same factor, so runs repeat."""
        sigma = self.config.run_spread
        if not sigma:
            return 1.0
        draw = self._spread_random if self.config.seed is not None else _seeded(job_id)
        return math.exp(sigma * draw.gauss(0.0, 1.0))

    def _next_shape(self) -> str:
        if self.config.record_shape != "alternate":
            return self.config.record_shape
        return "model_page" if len(self._jobs) % 2 == 0 else "docs"

    def _owned_job(self, api_key: str, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None or job.api_key != api_key:
            raise Refused(error_reply(404, "not_found", f"No job {job_id}."))
        return job

    def _advance(self, job: Job, now: float) -> None:
        if job.status in TERMINAL or now < job.started_at:
            return
        job.status = "running"
        if now < job.finishes_at:
            return
        if job.doom is not None:
            self._finish(job, "failed", error=(job.doom.code, job.doom.message))
        elif job.render is not None and job.render.done():
            if job.render.cancelled() or job.render.exception() is not None:
                error_code = "render_failed"
                self._finish(job, "failed", error=(error_code, FAILURE_MESSAGES[error_code]))
            else:
                job.media_path = job.render.result()
                self._finish(job, "completed")

    def _finish(self, job: Job, status: str, *, error: tuple[str, str] | None = None) -> None:
        job.status = status
        job.error = error
        if status == "completed":
            # When its running time ended, not when a poll or the ticker noticed: the lag
            # from here to the studio noticing is what a benchmark measures.
            job.completed_at = time.time() - max(0.0, time.monotonic() - job.finishes_at)
            # Billing happens here only: failed and cancelled jobs are never charged.
            job.billed_cents = job.order.cost_cents
            self._wallet_cents -= job.billed_cents
            self._billed_cents_total += job.billed_cents
        if job.order.webhook_url and self.config.webhook_secret:
            event = job_event(
                completed=status == "completed",
                job_id=job.id,
                model=job.order.model,
                result_url=self._media_url(job, job.origin) if job.media_path else None,
                cost_cents=job.billed_cents,
            )
            self._webhooks.send(job.order.webhook_url, event, self.config.webhook_secret)

    def _record(self, job: Job, origin: str) -> dict[str, Any]:
        model_page = job.shape == "model_page"
        status = "processing" if model_page and job.status == "running" else job.status
        record: dict[str, Any] = {
            "id": job.id,
            "object": "job",
            "status": status,
            "model": job.order.model,
            "created": job.created,
        }
        if job.status == "completed":
            record["result"] = {
                "url" if model_page else "file_url": self._media_url(job, origin),
                "duration": job.order.duration,
                "resolution": f"{job.size[0]}x{job.size[1]}",
            }
            record["usage"] = {"cost_cents": job.billed_cents}
        if job.error:
            record["error"] = {"code": job.error[0], "message": job.error[1]}
        return record

    def _media_url(self, job: Job, origin: str) -> str:
        # A fresh signature on every answer, as the real gateway hands out after expiry.
        expires = str(int(time.time() + self.config.media_url_ttl))
        return f"{origin}/media/{job.id}.mp4?expires={expires}&sig={self._sign(job.id, expires)}"

    def _sign(self, job_id: str, expires: str) -> str:
        message = f"{job_id}.{expires}".encode()
        return hmac.new(self._media_key, message, hashlib.sha256).hexdigest()

    def _count_reply(self, reply: Reply) -> None:
        if reply.status in (304, 429) and not reply.drop:
            with self._lock:
                self._counts[str(reply.status)] += 1


def _seeded(seed: int | str | None) -> random.Random:
    return random.Random(seed)  # noqa: S311 -- simulated render times, not secrets


def _fault_reply(fault: RequestFault) -> Reply:
    if fault.kind == "drop":
        return Reply(0, drop=True)
    messages = {
        500: ("server_error", "Upstream provider failed (simulated)."),
        503: ("service_unavailable", "Upstream saturated (simulated)."),
        429: ("rate_limit_error", "Over the per-minute limit (simulated)."),
    }
    error_type, message = messages[fault.status]
    headers = {"Retry-After": "1"} if fault.status in (429, 503) else {}
    return error_reply(fault.status, error_type, message, headers)


def _hide_answer(reply: Reply, fault: RequestFault) -> Reply:
    """The work is done; now the caller gets a late answer, an error, or none at all."""
    if fault.kind == "slow":
        return replace(reply, delay=fault.seconds)
    return _fault_reply(fault)


def _job_summary(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "status": job.status,
        "shape": job.shape,
        "model": job.order.model,
        "prompt": job.order.prompt,
        "duration": job.order.duration,
        "aspect_ratio": job.order.aspect_ratio,
        "idempotency_key": job.idempotency_key,
        "cost_cents": job.order.cost_cents,
        "billed_cents": job.billed_cents,
        "webhook_url": job.order.webhook_url,
        "error_code": job.error[0] if job.error else None,
        "completed_at": job.completed_at,
    }
