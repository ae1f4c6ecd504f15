"""What views call in a take's life: create takes (one or a batch), select one, retry or check
again, request a cancel, resume paused submissions. The worker's steps (submit, poll, store,
cancel at the gateway) are in steps.py, the dispatcher and the sweep in dispatch.py, the
gateway's request budget in throttle.py, webhook events in webhook_events.py.

The database is the source of truth. Each take's `next_check_at` says when its next step is
due; a dispatcher, run by beat every second, hands out the steps falling due (nothing waits in
the broker for minutes, so a worker's memory does not grow with the takes in flight). Every
step first claims its take with a conditional UPDATE and checks the row count, and every status
change is written only if the take is still where the step found it, so a task delivered twice
(late acknowledgement, a lease that ran out) or racing another step (a cancel, a webhook) does
its work once.
"""

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.brands.models import STYLE_LINE_MAX_LENGTH
from studio.brands.prompts import PromptAsSent
from studio.formatting import usd
from studio.projects.models import PROMPT_MAX_LENGTH, Project, Shot, validate_prompt
from studio.teams.models import Action, Membership, Role
from studio.teams.services import require_action

from . import tasks
from .ledger import cents, project_totals
from .models import AT_GATEWAY_STATUSES, PauseReason, SubmitPause, Take, TakeStatus, WebhookEvent
from .pauses import pauses_changed
from .transitions import transition


class BudgetExceeded(ValidationError):
    pass


# The project's budget


@transaction.atomic
def project_budget_set(*, user, project: Project, budget: Decimal) -> Project:
    """Owners set the budget; never below what the takes have already spent or reserved,
    or the budget check would let nothing through while still showing money left."""
    require_action(user=user, team=project.team, action=Action.MANAGE)
    budget = cents(budget)
    if budget < 0:
        raise ValidationError({"budget": "The budget cannot be negative."})
    # The same lock the generation budget check takes: no take is reserved between this
    # check and the write.
    locked = Project.objects.select_for_update().get(pk=project.pk)
    costs = project_totals(locked)
    if budget < costs.committed:
        raise ValidationError(
            {
                "budget": (
                    f"The budget cannot go below {usd(costs.committed)}: {usd(costs.spent)} "
                    f"is already spent and {usd(costs.reserved)} reserved for takes in progress."
                )
            }
        )
    old = locked.budget
    if budget == old:
        return project
    locked.budget = budget
    locked.save(update_fields=["budget"])
    activity_record(
        project=locked,
        verb=Verb.EDITED,
        subject=f"budget from {usd(old)} to {usd(budget)}",
        actor=user,
    )
    project.budget = budget
    return project


# Creating takes


def take_create(*, user, shot: Shot) -> Take:
    """A new take of the shot, reserved against the project's budget and queued for submit."""
    return takes_create(user=user, shots=[shot])[0]


def prompts_as_sent(
    *, project: Project, shots: list[Shot], style: str | None = None
) -> dict[int, PromptAsSent]:
    """Each shot's prompt as the gateway will get it: with the project's brand kit, its @names
    expanded and a style line appended (the kit's, or `style` as edited for this generation);
    without a kit, the shot's own prompt. One query for the kit and one for its elements."""
    kit = project.brand_kit
    if kit is None:
        return {shot.pk: PromptAsSent(text=shot.prompt, unknown=()) for shot in shots}
    return {shot.pk: kit.prompt_for(shot.prompt, style) for shot in shots}


def check_prompts_as_sent(shots: list[Shot], sent: dict[int, PromptAsSent]) -> None:
    """The expansion may outgrow the model's limit though the shot's own prompt does not."""
    for shot in shots:
        length = len(sent[shot.pk].text)
        if length > PROMPT_MAX_LENGTH:
            raise ValidationError(
                f"Shot {shot.position}: with the brand kit's elements and style line its "
                f"prompt would be {length} characters, over the model's {PROMPT_MAX_LENGTH}. "
                "Shorten the prompt, an element or the style line."
            )


@dataclass(frozen=True)
class Batch:
    """What generating these shots costs, and what the budget keeps afterwards."""

    shots: int
    seconds: int
    cost: Decimal
    left_after: Decimal

    def describe(self) -> str:
        shots = f"{self.shots} shot{'s' if self.shots != 1 else ''}"
        return f"{shots}, {self.seconds} s, ${self.cost:.2f}"


def budget_left_after(*, project: Project, cost: Decimal) -> Decimal:
    """What the project's budget keeps once `cost` more is reserved (below zero: refused)."""
    return project.budget - project_totals(project).committed - cost


def batch_estimate(*, project: Project, shots: list[Shot]) -> Batch:
    cost = sum((shot.video_model.cost_for(shot.duration) for shot in shots), Decimal("0.00"))
    return Batch(
        shots=len(shots),
        seconds=sum(shot.duration for shot in shots),
        cost=cost,
        left_after=budget_left_after(project=project, cost=cost),
    )


def takes_create(*, user, shots: list[Shot], style: str | None = None) -> list[Take]:
    """A take of each shot, all or none: reserved together against the project's budget.
    Each take keeps its prompt as sent (prompts_as_sent); `style` replaces the brand kit's
    style line for these takes (None: the kit's own)."""
    if not shots:
        raise ValidationError("Choose at least one shot to generate.")
    project = shots[0].storyboard.project
    require_action(user=user, team=project.team, action=Action.GENERATE)
    if style is not None and len(style.strip()) > STYLE_LINE_MAX_LENGTH:
        raise ValidationError(
            f"Keep the style line to {STYLE_LINE_MAX_LENGTH} characters ({len(style.strip())} now)."
        )
    for shot in shots:
        validate_prompt(shot.prompt)
        shot.video_model.validate_request(duration=shot.duration, aspect_ratio=shot.aspect_ratio)
    sent = prompts_as_sent(project=project, shots=shots, style=style)
    check_prompts_as_sent(shots, sent)
    with transaction.atomic():
        # Lock the project row so concurrent clicks cannot overspend the budget together.
        # (On SQLite the IMMEDIATE transaction already serialises writers.)
        Project.objects.select_for_update().filter(pk=project.pk).first()
        batch = batch_estimate(project=project, shots=shots)
        if batch.left_after < 0:
            left = max(batch.left_after + batch.cost, Decimal("0"))
            what = "This take costs" if len(shots) == 1 else f"These {len(shots)} takes cost"
            raise BudgetExceeded(
                f"{what} ${batch.cost:.2f}; the project has ${left:.2f} "
                f"left of its ${project.budget} budget."
            )
        now = timezone.now()
        # The shots' last take numbers in one query, however many shots there are.
        last = dict(
            Take.objects.filter(shot__in=shots)
            .values("shot")
            .annotate(last=Max("take_number"))
            .values_list("shot", "last")
            .order_by()
        )
        takes = [
            Take.objects.create(
                shot=shot,
                take_number=last.get(shot.pk, 0) + 1,
                video_model=shot.video_model,
                prompt=sent[shot.pk].text,
                duration=shot.duration,
                aspect_ratio=shot.aspect_ratio,
                estimated_cost=shot.video_model.cost_for(shot.duration),
                created_by=user,
                next_check_at=now,
            )
            for shot in shots
        ]
        for take in takes:
            _record(take, Verb.GENERATED, user=user, cost=take.estimated_cost)
        transaction.on_commit(lambda: tasks.enqueue_each(tasks.submit_take, [t.pk for t in takes]))
    return takes


def take_retry(*, user, take: Take) -> Take:
    """A failed, cancelled or unconfirmed take is retried as a new take of the same shot."""
    if not take.can_retry:
        raise ValidationError("Only a failed, cancelled or unconfirmed take can be retried.")
    return take_create(user=user, shot=take.shot)


def take_check_again(*, user, take: Take) -> Take:
    """An unconfirmed take is sent again with the same Idempotency-Key: a gateway that honours
    the key answers with the job it already has; the user was told it may not."""
    require_action(user=user, team=take.shot.storyboard.project.team, action=Action.GENERATE)
    moved = transition(
        take,
        from_statuses=[TakeStatus.UNCONFIRMED],
        status=TakeStatus.PENDING,
        error_code="",
        error_message="",
        next_check_at=timezone.now(),
    )
    if not moved:
        raise ValidationError("Only an unconfirmed take can be checked again.")
    transaction.on_commit(lambda: tasks.enqueue(tasks.submit_take, take.pk))
    return take


def take_select(*, user, take: Take) -> Take:
    """Mark a finished take as its shot's choice for the ad."""
    shot = take.shot
    require_action(user=user, team=shot.storyboard.project.team, action=Action.EDIT)
    if take.status != TakeStatus.COMPLETED:
        raise ValidationError("Only a finished take can be the shot's selected take.")
    with transaction.atomic():
        shot.selected_take = take
        shot.save(update_fields=["selected_take", "updated_at"])
        _record(take, Verb.SELECTED, user=user)
    return take


def _record(take: Take, verb: Verb, *, user, cost: Decimal | None = None) -> None:
    """The take's line in its project's activity log."""
    storyboard = take.shot.storyboard
    activity_record(
        project=storyboard.project,
        storyboard=storyboard,
        verb=verb,
        subject=f"take {take.take_number} of shot {take.shot.position} in {storyboard.title}",
        actor=user,
        cost=cost,
        take=take,
    )


# Pausing all submissions


def submissions_may_resume(*, user) -> bool:
    """Who may lift a pause: staff; after an empty wallet, also an owner of a team with a take
    the pause held (waiting since before it began: the team with a reason to top up). A take
    made during the pause does not count: every user owns a personal team and may click
    Generate while paused, and the pause holds every team's submits, so anyone could otherwise
    send them all against a wallet nobody filled. The banner offers Resume by this too."""
    if user.is_staff:
        return True
    pauses = SubmitPause.objects.active()
    if pauses.filter(reason=PauseReason.AUTHENTICATION).exists():
        return False  # a rejected key is an operator's matter
    began = pauses.aggregate(began=Min("created_at"))["began"]
    if began is None:
        return False  # nothing to resume
    held = Take.objects.filter(status=TakeStatus.PENDING, created_at__lte=began)
    teams = held.values("shot__storyboard__project__team")
    return Membership.objects.filter(user=user, role=Role.OWNER, team__in=teams).exists()


def submissions_resume(*, user) -> int:
    """Lift every pause and send the takes that waited (see submissions_may_resume)."""
    pauses = SubmitPause.objects.active()
    if not pauses.exists():
        pauses_changed()  # the banner the click came from was kept: it goes at the next page
        return 0
    if not submissions_may_resume(user=user):
        raise PermissionDenied(
            "Only an administrator, or an owner of a team with takes waiting since the pause"
            " began, can resume."
        )
    now = timezone.now()
    with transaction.atomic():
        pauses.update(resumed_at=now, resumed_by=user)
        pauses_changed()
        waiting = list(Take.objects.filter(status=TakeStatus.PENDING).values_list("pk", flat=True))
        Take.objects.filter(pk__in=waiting).transition(
            from_statuses=[TakeStatus.PENDING], next_check_at=now, updated_at=now
        )
        transaction.on_commit(lambda: tasks.enqueue_each(tasks.submit_take, waiting))
    return len(waiting)


# Cancelling


def take_request_cancel(*, user, take: Take) -> Take:
    """Stop a take. One not yet sent ends here; one at the gateway is cancelled there by a
    worker (the gateway is never called from a web request)."""
    require_action(user=user, team=take.shot.storyboard.project.team, action=Action.GENERATE)
    now = timezone.now()
    with transaction.atomic():
        if transition(
            take,
            from_statuses=[TakeStatus.PENDING],
            status=TakeStatus.CANCELLED,
            finished_at=now,
            next_check_at=None,
        ):
            _record(take, Verb.CANCELLED, user=user)
            return take
        if not transition(
            take,
            from_statuses=AT_GATEWAY_STATUSES,
            status=TakeStatus.CANCELLING,
            next_check_at=now,
            retries=0,
        ):
            raise ValidationError("Only a waiting, queued or running take can be cancelled.")
        _record(take, Verb.CANCELLED, user=user)
        # Its own queue (CELERY_TASK_ROUTES): a cancel must not wait behind a storm of submits.
        transaction.on_commit(lambda: tasks.enqueue(tasks.cancel_take, take.pk))
    return take


# Webhooks: received here, applied by the worker (webhook_events.py)


def webhook_take(*, key: UUID, job_id: str) -> Take | None:
    """The take an event is for, if the event matches it: the take whose idempotency key is in
    the URL, unless it knows another job; or, at a URL given before the key was used (the
    take's public uuid), a take that knows this very job. Anything else is refused."""
    take = Take.objects.filter(idempotency_key=key).select_related("video_model").first()
    if take is not None:
        return take if take.gateway_job_id in ("", job_id) else None
    return Take.objects.filter(uuid=key, gateway_job_id=job_id).exclude(gateway_job_id="").first()


def webhook_receive(*, take: Take, event: dict) -> bool:
    """Record a verified event once; False for a replay, which is acknowledged and ignored."""
    try:
        with transaction.atomic():
            stored = WebhookEvent.objects.create(
                event_id=str(event["id"]),
                event_type=str(event.get("type", "")),
                take=take,
                payload=event,
            )
    except IntegrityError:
        return False
    transaction.on_commit(lambda: tasks.enqueue(tasks.apply_webhook, stored.pk))
    return True
