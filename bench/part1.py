"""Part 1: gateway calls per completed job, and the lag from a job's completion at the gateway to
'completed' in the studio, for the studio's learned schedule, a fixed-interval poller (the
baseline, every 3 s scaled) and webhooks. All three in this process, against one simulator.

Lags are given in real-equivalent seconds: the part of the wait that comes from the poll
schedule (gateway completion to the poll that saw it) is divided by the time scale; what runs at
real speed (storing the video, a webhook's delivery) is counted as measured."""

import math
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from statistics import NormalDist

from django.conf import settings

from bench import bound
from bench import world as w
from bench.driver import Driver, Scheduler, webhooks_arrived
from bench.env import API_KEY, WEBHOOK_SECRET
from bench.jobs import warm_up_seed
from bench.services import Simulator, webhook_server
from bench.stats import fmt, percentile, ratio, table
from studio.gateway import GatewayClient, JobStatus
from studio.generation import steps
from studio.generation.models import Take, TakeStatus

FIFTH = NormalDist().inv_cdf(0.05)


@dataclass
class RunResult:
    name: str
    jobs: int = 0
    completed: int = 0
    calls: int = 0  # submit + poll + cancel requests counted by the simulator
    not_modified: int = 0
    rate_limited: int = 0
    lags: list[float] = field(default_factory=list)  # real-equivalent seconds
    raw_lags: list[float] = field(default_factory=list)  # bench seconds, as measured
    store: list[float] = field(default_factory=list)  # seen completed -> finished_at, seconds
    unfinished: int = 0
    errors: int = 0
    late: list[float] = field(default_factory=list)  # how late each step started, seconds
    # Lags of takes whose job completed before the studio's first poll was due (the learned
    # 5th percentile of render times), and of the others.
    before_first_poll: list[float] = field(default_factory=list)
    after_first_poll: list[float] = field(default_factory=list)
    learning: list[str] = field(default_factory=list)

    @property
    def calls_per_job(self) -> float | None:
        return self.calls / self.completed if self.completed else None


def count_calls(result: RunResult, state: dict) -> None:
    requests = state["requests"]
    result.calls = requests["submit"] + requests["poll"] + requests["cancel"]
    result.not_modified = state["not_modified"]
    result.rate_limited = state["rate_limited"]


def completion_times(state: dict) -> dict[str, float]:
    return {job["id"]: job["completed_at"] for job in state["jobs"] if job["completed_at"]}


def warm_up(sim: Simulator, studio: w.World, *, per_duration: int, deadline: float) -> int:
    """Finished takes of each duration, so the studio has render times to learn from. Two
    rounds: the first is polled on the unlearned schedule (whose lag would bias the learned
    times), the second, larger one on the learned schedule, as in a studio that has run a while.
    From the warm-up's own seed: the runs, reset to the start seed, get other render times than
    those the studio learned from."""
    sim.reset(seed=warm_up_seed(sim.state()["config"]["seed"]))
    ids: list[int] = []
    with Driver():
        for size in (max(5, per_duration // 3), per_duration):
            count = size * len(w.DURATIONS)
            ids = w.create_takes(studio, count, over_seconds=count / 10, deadline=deadline)
            w.wait_settled(ids, deadline=deadline)
    return Take.objects.filter(status=TakeStatus.COMPLETED, duration__in=w.DURATIONS).count()


def run_studio(
    sim: Simulator,
    studio: w.World,
    *,
    name: str,
    scale: float,
    takes: int,
    over_seconds: float,
    deadline: float,
    webhooks: bool = False,
) -> RunResult:
    result = RunResult(name)
    sim.reset(**({"webhook_secret": WEBHOOK_SECRET} if webhooks else {}))
    with Driver() as driver, webhook_server() as origin:
        if webhooks:
            settings.AIGATEWAY_WEBHOOK_SECRET = WEBHOOK_SECRET
            settings.STUDIO_PUBLIC_URL = origin
        try:
            ids = w.create_takes(studio, takes, over_seconds=over_seconds, deadline=deadline)
            result.unfinished = w.wait_settled(ids, deadline=deadline)
        finally:
            settings.AIGATEWAY_WEBHOOK_SECRET = ""
            settings.STUDIO_PUBLIC_URL = ""
        result.errors = driver.scheduler.errors
        result.late = driver.scheduler.late
    arrived = webhooks_arrived(ids)
    state = sim.state()
    count_calls(result, state)
    done_at = completion_times(state)
    result.jobs = len(ids)
    takes = Take.objects.filter(pk__in=ids, status=TakeStatus.COMPLETED)
    actual: dict[int, list[float]] = {duration: [] for duration in w.DURATIONS}
    for take in takes.only(
        "pk", "gateway_job_id", "duration", "submitted_at", "finished_at", "earliest_ready_at"
    ):
        gateway_done = done_at.get(take.gateway_job_id)
        finished = w.epoch(take.finished_at)
        if gateway_done is None or finished is None:
            continue
        result.completed += 1
        actual[take.duration].append((gateway_done - take.submitted_at.timestamp()) / scale)
        result.raw_lags.append(finished - gateway_done)
        polled = driver.seen_completed.get(take.gateway_job_id)
        hooked = arrived.get(take.pk)
        if hooked is not None and (polled is None or hooked <= polled):
            # Delivery and storing run at real speed: nothing to rescale.
            result.lags.append(finished - gateway_done)
            result.store.append(finished - hooked)
        elif polled is not None:
            result.lags.append((polled - gateway_done) / scale + (finished - polled))
            result.store.append(finished - polled)
        else:
            continue
        first_poll = w.epoch(take.earliest_ready_at)
        early = first_poll is not None and gateway_done < first_poll
        (result.before_first_poll if early else result.after_first_poll).append(result.lags[-1])
    for duration, seconds in actual.items():
        result.learning.append(compare_learned(studio, duration, seconds, scale))
    return result


def compare_learned(studio: w.World, duration: int, actual: list[float], scale: float) -> str:
    """What the studio has learned about render times (from its own finished takes) against
    what the gateway took in this run, in real-equivalent seconds: median, spread and 5th
    percentile side by side."""
    shot = next(shot for shot in studio.shots if shot.duration == duration)
    sample = Take.objects.filter(shot=shot).select_related("video_model").last()
    learned = steps.render_times(sample)
    logs = [math.log(value) for value in actual if value > 0]
    if len(logs) < 2:
        return f"{duration} s takes: too few completed to compare"
    median, spread = math.exp(statistics.median(logs)), statistics.stdev(logs)
    first_poll = learned.first_poll(steps.poll_intervals().first_poll_grace)
    return (
        f"{duration} s takes: learned median {learned.median / scale:.1f} s, spread "
        f"{learned.spread:.3f}, 5th percentile {learned.percentile(FIFTH) / scale:.1f} s "
        f"(standard error {learned.margin:.3f}), first poll at {first_poll / scale:.1f} s"
        f"; at the gateway median {median:.1f} s, spread {spread:.3f}, "
        f"5th percentile {percentile(actual, 5):.1f} s"
    )


class FixedPoller:
    """The baseline: submit, then GET the job every `interval` seconds until it ends, through
    GatewayClient (one kept-alive client per thread)."""

    def __init__(self, url: str, interval: float, *, threads: int = 4) -> None:
        self.url = url
        self.interval = interval
        self.scheduler = Scheduler(threads=threads)
        self._local = threading.local()
        self.seen_completed: dict[str, float] = {}
        self.ended: set[str] = set()
        self.submitted = 0
        self._clients: list[GatewayClient] = []

    def client(self) -> GatewayClient:
        if not hasattr(self._local, "client"):
            self._local.client = GatewayClient(self.url, API_KEY, timeout=30)
            self._clients.append(self._local.client)
        return self._local.client

    def close(self) -> None:
        self.scheduler.stop()
        for client in self._clients:
            client.close()

    def submit(self, index: int) -> None:
        record = self.client().submit(
            model="google/veo-3.1",
            prompt=w.PROMPT,
            duration=w.DURATIONS[index % len(w.DURATIONS)],
            aspect_ratio="16:9",
            idempotency_key=str(uuid.uuid4()),
        )
        self.submitted += 1
        self.scheduler.at(self.interval, self.poll, record.id)

    def poll(self, job_id: str) -> None:
        record = self.client().get_job(job_id)
        if record is not None and record.status == JobStatus.COMPLETED:
            self.seen_completed[job_id] = time.time()
            self.ended.add(job_id)
        elif record is not None and record.status.is_terminal:
            self.ended.add(job_id)
        else:
            # `interval` after each answer, as `while True: get(); sleep(3)` does: measured
            # from the request instead, network jitter would earn 304s.
            self.scheduler.at(self.interval, self.poll, job_id)


def run_baseline(
    sim: Simulator, *, scale: float, takes: int, over_seconds: float, deadline: float
) -> RunResult:
    result = RunResult("fixed 3 s poller (baseline)")
    sim.reset()
    poller = FixedPoller(sim.url, 3.0 * scale)
    poller.scheduler.start()
    try:
        gap = over_seconds / takes
        for index in range(takes):
            poller.scheduler.at(index * gap, poller.submit, index)
        while time.monotonic() < deadline:
            time.sleep(0.25)
            if poller.submitted == takes and len(poller.ended) == takes:
                break
    finally:
        poller.close()
    state = sim.state()
    count_calls(result, state)
    done_at = completion_times(state)
    result.jobs = poller.submitted
    result.unfinished = takes - len(poller.ended)
    result.errors = poller.scheduler.errors
    result.late = poller.scheduler.late
    for job_id, seen in poller.seen_completed.items():
        gateway_done = done_at.get(job_id)
        if gateway_done is None:
            continue
        result.completed += 1
        result.raw_lags.append(seen - gateway_done)
        result.lags.append((seen - gateway_done) / scale)
    return result


def run(sim: Simulator, args) -> list[RunResult]:
    scale, takes, over = args.time_scale, args.takes, args.arrive_over
    studio = w.build("part1")
    learned = warm_up(
        sim, studio, per_duration=args.warmup, deadline=time.monotonic() + args.part_seconds
    )
    print(f"\npart 1: warm-up done, {learned} finished takes to learn render times from")
    results = []
    for name, webhooks in (("studio, learned schedule", False), ("studio, webhooks", True)):
        results.append(
            run_studio(
                sim,
                studio,
                name=name,
                scale=scale,
                takes=takes,
                over_seconds=over,
                deadline=time.monotonic() + args.part_seconds,
                webhooks=webhooks,
            )
        )
    baseline = run_baseline(
        sim,
        scale=scale,
        takes=takes,
        over_seconds=over,
        deadline=time.monotonic() + args.part_seconds,
    )
    results.insert(1, baseline)
    rows = []
    for result in results:
        rows.append(
            [
                result.name,
                f"{result.completed}/{result.jobs}",
                fmt(result.calls_per_job, 2),
                ratio(result.calls_per_job, baseline.calls_per_job)
                if result is not baseline
                else "1.0x",
                fmt(percentile(result.lags, 50), 2, " s"),
                fmt(percentile(result.lags, 95), 2, " s"),
                fmt(percentile(result.raw_lags, 95), 3, " s"),
                fmt(percentile(result.store, 95), 3, " s") if result.store else "-",
                fmt(percentile(result.late, 95) * 1000, 0, " ms") if result.late else "-",
                str(result.not_modified),
                str(result.errors),
            ]
        )
    print(
        table(
            f"part 1: calls and lag, {takes} takes per run over {over:g} s, time scale {scale:g}",
            [
                "run",
                "done",
                "calls/job",
                "vs baseline",
                "lag p50",
                "lag p95",
                "raw p95 (bench s)",
                "store p95",
                "step late p95",
                "304s",
                "errors",
            ],
            rows,
        )
    )
    storing = percentile(results[0].store, 95) or 0.0
    best = bound.best_plan(storing=storing)
    print(
        f"no plan does better than {best.ratio:.2f}x fewer calls than the 3 s poller with a p95 "
        f"lag of 6 s, even knowing the render times exactly (python -m bench.bound, storing "
        f"{storing:.2f} s)"
    )
    # A step starts late in bench seconds, which the lag divides by the scale as it does the
    # schedule's part (storing runs at real speed): with storing, it counts against the 6 s.
    late = (percentile(results[0].late, 95) or 0.0) / scale
    late_share, held = bound.every_sample(
        storing=storing + late, takes=takes, samples=10, confidence=0.9, se=0.03
    )
    print(
        f"nor better than {held.ratio:.2f}x on each of ten such runs (90% confidence, "
        f"{late_share:.1%} late expected), with the percentile learned to 0.03 log s and storing "
        f"and a late start {storing + late:.2f} s"
    )
    for result in results:
        if result.before_first_poll:
            share = len(result.before_first_poll) / max(result.completed, 1)
            print(
                f"{result.name}: {share:.0%} of jobs completed before the first poll "
                f"(lag p95 {fmt(percentile(result.before_first_poll, 95), 1, ' s')}); "
                f"the others' lag p95 {fmt(percentile(result.after_first_poll, 95), 1, ' s')}"
            )
        for line in result.learning:
            print(f"  {line}")
    return results
