from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import uuid4

from django.conf import settings
from django.db import models
from django.utils import timezone

from studio.catalog.models import VideoModel
from studio.projects.models import Shot
from studio.teams.models import TeamScopedQuerySet

from . import webhooks


class TakeStatus(models.TextChoices):
    PENDING = "pending", "Waiting to submit"
    SUBMITTING = "submitting", "Submitting"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    CANCELLING = "cancelling", "Cancelling"
    UNCONFIRMED = "unconfirmed", "Unconfirmed"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# Statuses in which the studio still has work to do; the live view polls while any exist.
ACTIVE_STATUSES = (
    TakeStatus.PENDING,
    TakeStatus.SUBMITTING,
    TakeStatus.QUEUED,
    TakeStatus.RUNNING,
    TakeStatus.CANCELLING,
)
# Statuses in which a gateway job exists and must be polled.
AT_GATEWAY_STATUSES = (TakeStatus.QUEUED, TakeStatus.RUNNING)


# The legal moves of a take's status, from each status to those it may be written to next.
# TakeQuerySet.transition refuses any other. A retry never moves a finished take: it makes a
# new take of the shot (services.take_retry), so the final statuses have no way out.
MOVES: dict[str, frozenset[str]] = {
    TakeStatus.PENDING: frozenset(
        {
            TakeStatus.SUBMITTING,  # a worker claims the submit
            TakeStatus.CANCELLED,  # cancelled before it was sent: nothing to stop at the gateway
        }
    ),
    TakeStatus.SUBMITTING: frozenset(
        {
            # Not processed by the gateway (no request slot, 429, 503, unreachable, a rejected
            # key): sent again later, or once resumed.
            TakeStatus.PENDING,
            TakeStatus.QUEUED,  # accepted; the submit's answer or a webhook says which
            TakeStatus.RUNNING,
            # The answer was lost, or the sweep found the worker died mid-request: the job may
            # exist, so it is never resent blindly.
            TakeStatus.UNCONFIRMED,
            TakeStatus.FAILED,  # refused: bad model, empty wallet, blocked prompt
        }
    ),
    **dict.fromkeys(
        (TakeStatus.QUEUED, TakeStatus.RUNNING),
        frozenset(
            {
                # A poll writes what the job record says, queued or running, and a webhook
                # says running: the gateway's word is taken as it comes.
                TakeStatus.QUEUED,
                TakeStatus.RUNNING,
                TakeStatus.CANCELLING,  # a cancel may come at any point before the job ends
                TakeStatus.COMPLETED,
                TakeStatus.FAILED,  # failed at the gateway, gone from it, or a bad video
                TakeStatus.CANCELLED,  # cancelled at the gateway by someone else
            }
        ),
    ),
    TakeStatus.CANCELLING: frozenset(
        {
            # The cancel's answer is a job record like a poll's: the job may have finished
            # first, or still be queued or running (then it is polled as before, and the
            # gateway's refusal to cancel a job also leaves it running).
            TakeStatus.QUEUED,
            TakeStatus.RUNNING,
            TakeStatus.COMPLETED,
            TakeStatus.FAILED,
            TakeStatus.CANCELLED,
        }
    ),
    TakeStatus.UNCONFIRMED: frozenset(
        {
            TakeStatus.PENDING,  # check again: resent with the same Idempotency-Key
            TakeStatus.RUNNING,  # a webhook names the job the lost answer would have
        }
    ),
    TakeStatus.COMPLETED: frozenset(),
    TakeStatus.FAILED: frozenset(),
    TakeStatus.CANCELLED: frozenset(),
}


class IllegalMove(ValueError):
    """A status write that MOVES does not allow."""


class TakeQuerySet(TeamScopedQuerySet):
    team_path = "shot__storyboard__project__team"

    def active(self) -> "TakeQuerySet":
        return self.filter(status__in=ACTIVE_STATUSES)

    def due(self, lease: datetime | None, now: datetime) -> "TakeQuerySet":
        """A step sent straight away (a click) is due once its time has come; one the
        dispatcher handed out is due while the take still holds the lease it was handed out
        with, so a second delivery, or one whose lease ran out and was handed out again,
        finds it gone."""
        if lease is not None:
            return self.filter(next_check_at=lease)
        return self.filter(models.Q(next_check_at__isnull=True) | models.Q(next_check_at__lte=now))

    def transition(self, *, from_statuses: Iterable[str], **fields) -> int:
        """The one writer of takes' status, and of their steps (`next_check_at`): UPDATE
        these takes WHERE status IN `from_statuses`, and return how many rows moved, so a
        step that raced another (a cancel, a webhook, a second delivery) writes nothing. A
        `status` that MOVES does not allow from each of `from_statuses` raises IllegalMove
        before the database is touched. No other code of the studio calls `.update(status=...)`
        on takes (tests may, to set a take up).
        Creating a take (pending) is not a move."""
        from_statuses = list(from_statuses)
        if "status" in fields:
            illegal = [old for old in from_statuses if fields["status"] not in MOVES[old]]
            if illegal:
                raise IllegalMove(
                    f"A take cannot go from {', '.join(illegal)} to {fields['status']}."
                )
        fields.setdefault("updated_at", timezone.now())
        return self.filter(status__in=from_statuses).update(**fields)

    def claim(
        self, *, statuses: Iterable[str], lease: datetime | None, until: datetime, now: datetime
    ) -> int:
        """Take the steps of these takes that are due (see `due`), holding them until `until`;
        how many were taken. A second delivery finds them not due."""
        return self.due(lease, now).transition(
            from_statuses=statuses, next_check_at=until, updated_at=now
        )


def take_upload_to(take: "Take", filename: str) -> str:
    return f"takes/{take.created_at:%Y/%m}/{take.uuid}/{filename}"


class Take(models.Model):
    """One take of a shot: one gateway job. Prompt, duration and ratio are copied from the
    shot at generation time, because the shot may be edited afterwards."""

    uuid = models.UUIDField(default=uuid4, unique=True, editable=False)
    shot = models.ForeignKey(Shot, on_delete=models.CASCADE, related_name="takes")
    take_number = models.PositiveIntegerField()
    video_model = models.ForeignKey(VideoModel, on_delete=models.PROTECT, related_name="+")
    prompt = models.TextField()
    duration = models.PositiveSmallIntegerField()
    aspect_ratio = models.CharField(max_length=8)

    status = models.CharField(max_length=16, choices=TakeStatus.choices, default=TakeStatus.PENDING)
    gateway_job_id = models.CharField(max_length=100, blank=True, db_index=True)
    # Stored before the submit request leaves, and sent as Idempotency-Key.
    idempotency_key = models.UUIDField(default=uuid4, unique=True, editable=False)
    estimated_cost = models.DecimalField(max_digits=10, decimal_places=2)
    billed_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    video = models.FileField(upload_to=take_upload_to, blank=True)
    poster = models.FileField(upload_to=take_upload_to, blank=True)
    resolution = models.CharField(max_length=20, blank=True)
    video_duration = models.DecimalField(max_digits=7, decimal_places=3, null=True, blank=True)
    result_url = models.URLField(max_length=2000, blank=True)

    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # From the render times of finished takes like this one: the median (for the progress
    # bar), the first poll and the 99th percentile (for when to poll; see polling.py); empty
    # until something is learned.
    expected_ready_at = models.DateTimeField(null=True, blank=True)
    earliest_ready_at = models.DateTimeField(null=True, blank=True)
    latest_ready_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the gateway finished the job, as near as we know: between the last poll that saw it
    # running and the one that saw it done (or the webhook's arrival). Render times are learned
    # from this, not from when the studio noticed, which would teach ever later first polls.
    last_seen_running_at = models.DateTimeField(null=True, blank=True)
    gateway_done_at = models.DateTimeField(null=True, blank=True)
    # When the studio first heard the job was done: the first poll answer that said so, or the
    # webhook's arrival. With last_seen_running_at (none: done before the first poll) it is
    # the interval render times are fitted to (render_fit.py); a webhook's is the second its
    # event's `created` names (gateway_done_at; done_seen_by_webhook), else the same interval.
    # finished_at minus gateway_done_at is the take's lag as the plan it was polled on saw it
    # (its record); the lag watch reads the interval again with what is learned now.
    done_seen_at = models.DateTimeField(null=True, blank=True)
    done_seen_by_webhook = models.BooleanField(default=False)
    # When the worker should next act on this take (submit, poll or cancel). The dispatcher
    # (every second, from beat) hands out the steps falling due; while a step is handed out or
    # running, this holds the end of its lease, and a lease that ran out is handed out again.
    next_check_at = models.DateTimeField(null=True, blank=True)
    # Errors in a row on the current step, so that each retry waits longer; reset by an answer.
    retries = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TakeQuerySet.as_manager()

    class Meta:
        # Named before the model was; the name stays so that no data moves. The index names too.
        db_table = "generation_clip"
        ordering = ["shot", "take_number"]
        constraints = [
            models.UniqueConstraint(fields=["shot", "take_number"], name="one_take_number_per_shot")
        ]
        indexes = [
            # The dispatcher and the sweep: WHERE status IN (...) AND next_check_at <= horizon
            # ORDER BY next_check_at.
            models.Index(fields=["status", "next_check_at"], name="clip_status_next_check"),
            # Every submit learns from the latest finished takes of its model: those of the
            # other durations from this index, those of its own from the next, as does the
            # polling page for each duration (render_history).
            models.Index(
                fields=["video_model", "status", "-finished_at"], name="clip_render_history"
            ),
            models.Index(
                fields=["video_model", "status", "duration", "-finished_at"],
                name="clip_render_history_duration",
            ),
        ]

    def __str__(self) -> str:
        return f"Take {self.take_number} of {self.shot}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def can_cancel(self) -> bool:
        return self.status in (TakeStatus.PENDING, TakeStatus.QUEUED, TakeStatus.RUNNING)

    @property
    def can_retry(self) -> bool:
        return self.status in (TakeStatus.FAILED, TakeStatus.CANCELLED, TakeStatus.UNCONFIRMED)

    @property
    def never_charged(self) -> bool:
        """Failed or cancelled without a bill: its reservation was released, nothing paid."""
        return self.status in (TakeStatus.FAILED, TakeStatus.CANCELLED) and self.billed_cost is None

    @property
    def cost(self) -> Decimal:
        return self.billed_cost if self.billed_cost is not None else self.estimated_cost

    def elapsed(self, now: datetime | None = None) -> timedelta | None:
        if self.submitted_at is None:
            return None
        return (self.finished_at or now or timezone.now()) - self.submitted_at

    def estimated_progress(self, now: datetime | None = None) -> int:
        """Percent of the expected render time that has passed; never claims 100 before done."""
        if self.status == TakeStatus.COMPLETED:
            return 100
        if self.submitted_at is None or self.expected_ready_at is None:
            return 0
        now = now or timezone.now()
        expected = (self.expected_ready_at - self.submitted_at).total_seconds()
        passed = (now - self.submitted_at).total_seconds()
        return max(1, min(95, round(100 * passed / max(expected, 1))))


class PauseReason(models.TextChoices):
    AUTHENTICATION = "authentication", "The gateway rejected the studio's API key"
    CREDITS = "credits", "The gateway wallet is empty"


class SubmitPauseQuerySet(models.QuerySet):
    def active(self) -> "SubmitPauseQuerySet":
        return self.filter(resumed_at__isnull=True)


class SubmitPause(models.Model):
    """While one is active, no take is sent to the gateway: after a 401 (an operator must fix
    the key) or a 402 (someone must top up the wallet). Takes wait, pending, until resumed."""

    reason = models.CharField(max_length=20, choices=PauseReason.choices)
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    resumed_at = models.DateTimeField(null=True, blank=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = SubmitPauseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one active pause per reason, however many workers hit the error at once.
            models.UniqueConstraint(
                fields=["reason"],
                condition=models.Q(resumed_at__isnull=True),
                name="one_active_pause_per_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({'active' if self.resumed_at is None else 'resumed'})"


class WebhookEvent(models.Model):
    """Every gateway event accepted once: a replayed event id is acknowledged and ignored."""

    event_id = models.CharField(max_length=webhooks.MAX_ID_LENGTH, unique=True)
    event_type = models.CharField(max_length=webhooks.MAX_TYPE_LENGTH)
    take = models.ForeignKey(
        Take, on_delete=models.CASCADE, related_name="webhook_events", db_column="clip_id"
    )
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    # Set when a worker takes the event up; the sweep applies events left without it (their
    # message was lost between the web process and the worker).
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # The sweep: WHERE applied_at IS NULL AND received_at <= stale.
            models.Index(fields=["applied_at", "received_at"], name="webhook_event_unapplied"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
