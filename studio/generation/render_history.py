"""Finished takes read as what polling saw of them: the observations render times are learned
from (render_fit.py), and when each was completed, which its lag is measured to, for the plan
(steps.render_times) and the polling page (views.polling_watch); and, as a take is seen done,
when it most likely finished under the plan it was polled on (gateway_done_at, its record)."""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import QuerySet

from studio.catalog.models import VideoModel

from . import polling, render_fit
from .models import Take, TakeStatus
from .render_fit import Observation

RENDER_SAMPLES = 200  # the latest takes of each duration: recent, not last year

FIELDS = (
    "duration",
    "submitted_at",
    "last_seen_running_at",
    "done_seen_at",
    "gateway_done_at",
    "done_seen_by_webhook",
    "finished_at",
    "earliest_ready_at",
    "pk",  # after finished_at, the order of takes finished in the same microsecond
)

type Row = tuple[
    int,
    datetime,
    datetime | None,
    datetime | None,
    datetime | None,
    bool,
    datetime,
    datetime | None,
    int,
]


def _completed(video_model_id: int) -> QuerySet[Take]:
    return Take.objects.filter(
        video_model_id=video_model_id,
        status=TakeStatus.COMPLETED,
        submitted_at__isnull=False,
        finished_at__isnull=False,
    )


def finished(video_model_id: int) -> QuerySet:
    """The model's finished takes as rows, newest first (the clip_render_history indexes)."""
    return _completed(video_model_id).order_by("-finished_at", "-pk").values_list(*FIELDS)


def newest_first(row: Row) -> tuple[datetime, int]:
    """The order `finished` gives, for rows gathered from several of its queries."""
    return row[6], row[8]


def learned_from(rows: list[Row], duration: int) -> "Durations":
    """What the plan of a take of this duration learns from: the latest RENDER_SAMPLES of its
    duration and of the model's others together (`rows` newest first)."""
    own = [row for row in rows if row[0] == duration][:RENDER_SAMPLES]
    others = [row for row in rows if row[0] != duration][:RENDER_SAMPLES]
    return durations([*own, *others])


def observation(row: Row) -> Observation:
    _, sent, running, seen, done, by_webhook, finished_at, _, _ = row
    if seen is None:
        # Finished before done_seen_at was stored: taken as it was learned then, at its
        # estimated time; without one, done by the time it was finished.
        if done is not None:
            return Observation(
                low=(done - sent).total_seconds(), high=(done - sent).total_seconds()
            )
        seen = finished_at
    high = (seen - sent).total_seconds()
    if by_webhook and done is not None and done < seen:
        # The gateway's own time (webhook_events): done within the second it names (not before
        # the submit, whatever the two clocks say).
        low = max((done - sent).total_seconds(), 0.0)
        return Observation(low=low, high=min(low + 1.0, high))
    # Polled, or a webhook without the gateway's time (or recorded before it was read: its
    # arrival, which a retried delivery makes late): done since it was last seen running.
    low = (running - sent).total_seconds() if running and running < seen else 0.0
    return Observation(low=max(low, 0.0), high=high)


@dataclass
class Durations:
    """A model's recent finished takes, by duration: what polling saw of each, and of those
    polled on a learned plan, also when the studio had it completed (seconds after the
    submit), which their lags are measured to (polling.RenderTimes.learn)."""

    observations: dict[int, list[Observation]] = field(default_factory=lambda: defaultdict(list))
    planned: dict[int, list[tuple[Observation, float]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, row: Row) -> None:
        duration, finished_at = row[0], row[6]
        if len(self.observations[duration]) >= RENDER_SAMPLES:
            return
        seen_as = observation(row)
        self.observations[duration].append(seen_as)
        if row[7] is None:
            # Polled before anything was learned (every few seconds, thinning out): its lag is
            # not the plan's, and polling sooner after the percentile would not change it.
            return
        completed = (finished_at - row[1]).total_seconds()
        self.planned[duration].append((seen_as, completed))

    def render_times(self, duration: int, *, fallback: float) -> polling.RenderTimes:
        return polling.RenderTimes.learn(
            self.observations.get(duration, []),
            fallback=fallback,
            peers=[group for other, group in self.observations.items() if other != duration],
            planned=self.planned.get(duration, []),
        )


def durations(rows: Iterable[Row]) -> Durations:
    history = Durations()
    for row in rows:
        history.add(row)
    return history


@dataclass(frozen=True)
class Watched:
    """One model and duration on the polling page."""

    model: str
    duration: int
    takes: int
    times: polling.RenderTimes
    first_poll: float  # seconds after the submit, for a take submitted now


def latest_of_each_duration(video_model_id: int) -> list[Row]:
    """The model's latest RENDER_SAMPLES finished takes of each duration, newest first: every
    take any of its durations' plans learns from (learned_from). A query for the durations,
    then one per duration, each the plan's own query for it (clip_render_history_duration)."""
    history = finished(video_model_id)
    lengths = _completed(video_model_id).order_by().values_list("duration", flat=True)
    rows = [
        row
        for duration in sorted(lengths.distinct())
        for row in history.filter(duration=duration)[:RENDER_SAMPLES]
    ]
    return sorted(rows, key=newest_first, reverse=True)


def watch(*, grace: timedelta) -> list[Watched]:
    """What the plan has learned of each model's recent takes, and their p95 lag: for each
    duration, from the takes a take of it submitted now would learn from. One query for the
    models; for each, one for its durations and one per duration."""
    watched = []
    for model in VideoModel.objects.filter(
        pk__in=Take.objects.filter(status=TakeStatus.COMPLETED).values("video_model")
    ).order_by("name"):
        rows = latest_of_each_duration(model.pk)
        fallback = float(model.typical_render_seconds)
        for duration in sorted({row[0] for row in rows}):
            history = learned_from(rows, duration)
            times = history.render_times(duration, fallback=fallback)
            watched.append(
                Watched(
                    model=model.name,
                    duration=duration,
                    takes=len(history.observations[duration]),
                    times=times,
                    first_poll=times.first_poll(grace),
                )
            )
    return watched


def likely_done(take: Take, seen: datetime) -> datetime:
    """When the gateway most likely finished a job first seen done at `seen`: the gateway's
    record says only that it is done, so this is the median inside the interval polling left,
    of the render times the take was planned with (render_fit.likely_done). Without a plan, or
    for a take whose submit a webhook filled in, the interval's middle."""
    sent = take.submitted_at or seen
    running = take.last_seen_running_at
    low = (running - sent).total_seconds() if running and running < seen else 0.0
    seen_as = Observation(low=low, high=(seen - sent).total_seconds())
    if take.expected_ready_at is None or take.latest_ready_at is None or seen_as.high <= 0:
        return sent + timedelta(seconds=(seen_as.low + seen_as.high) / 2)
    median = (take.expected_ready_at - sent).total_seconds()
    latest = (take.latest_ready_at - sent).total_seconds()
    if median <= 0 or latest <= median:
        return sent + timedelta(seconds=(seen_as.low + seen_as.high) / 2)
    # The plan keeps the median and the 99th percentile: the spread is their ratio's log.
    spread = math.log(latest / median) / polling.Z_LATE
    done = render_fit.likely_done(seen_as, mu=math.log(median), sigma=spread)
    return sent + timedelta(seconds=done)
