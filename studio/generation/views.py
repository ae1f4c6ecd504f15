import logging
import re
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap

from studio.access import SHOT_CONTEXT, get_shot, get_storyboard, get_take
from studio.brands.models import STYLE_LINE_MAX_LENGTH
from studio.htmx import AuthenticatedHttpRequest, HtmxHttpRequest, parse_uuids
from studio.projects.fragments import shot_card, storyboard_changed, storyboard_refused
from studio.projects.models import PROMPT_MAX_LENGTH, Shot, Storyboard
from studio.teams.models import Action
from studio.teams.services import require_action

from . import polling, render_history, services, steps, webhooks
from .media import take_media
from .models import Take

log = logging.getLogger(__name__)

TAKE_TEMPLATE = "projects/storyboard_detail.html"


def take_added(request: HtmxHttpRequest, storyboard: Storyboard) -> HttpResponse:
    """Nothing to swap: the page's live updates, asked for at once, draw the new take's card.
    They are the one place a card is added, so a live answer that lands before this one cannot
    leave the card on the page twice."""
    if not request.htmx:
        return redirect("storyboard_detail", uuid=storyboard.uuid)
    return storyboard_changed(reswap(HttpResponse(), "none"))


def generation_refused(
    request: HtmxHttpRequest, shot: Shot, error: ValidationError
) -> HttpResponse:
    return storyboard_refused(request, shot.storyboard, error, where=f"#shot-{shot.uuid}-alert")


def generation_answer(request: HtmxHttpRequest, shot: Shot, make_take: Callable[[], Take]):
    try:
        make_take()
    except ValidationError as error:
        return generation_refused(request, shot, error)
    return take_added(request, shot.storyboard)


@login_required
@require_POST
def shot_generate(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    shot = get_object_or_404(
        Shot.objects.for_user(request.user).select_related(*SHOT_CONTEXT), uuid=uuid
    )
    return generation_answer(
        request, shot, lambda: services.take_create(user=request.user, shot=shot)
    )


# Where a confirmation is drawn: the storyboard's, under Generate selected / Generate all, or
# a shot's own, in its card (its Generate button when the brand kit appends a style line).
CONFIRM_TARGET = re.compile(r"shot-[0-9a-f-]{36}-confirm")


def confirm_target(request: HttpRequest) -> str:
    target = request.POST.get("target", "")
    return target if CONFIRM_TARGET.fullmatch(target) else "batch-confirm"


def chosen_shots(request: HttpRequest, storyboard: Storyboard) -> list[Shot]:
    shots = storyboard.shots.select_related("video_model", "storyboard__project")
    if request.POST.get("scope") == "all":
        return list(shots)
    return list(shots.filter(uuid__in=parse_uuids(request.POST.getlist("shot"))))


@login_required
@require_POST
def batch_confirm(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """Generate selected / Generate all: one confirmation with the total and what remains."""
    storyboard = get_storyboard(request, uuid)
    require_action(user=request.user, team=storyboard.project.team, action=Action.GENERATE)
    shots = chosen_shots(request, storyboard)
    project = storyboard.project
    kit = project.brand_kit
    context = {
        "storyboard": storyboard,
        "chosen": shots,
        "kit": kit,
        "confirm_target": confirm_target(request),
    }
    if shots:
        context["batch"] = services.batch_estimate(project=project, shots=shots)
        # What each prompt will be as sent, with the style line shown again if it was edited
        # here ("Show with this line").
        style = request.POST.get("style")
        sent = services.prompts_as_sent(project=project, shots=shots, style=style)
        if kit is not None:
            context["style"] = kit.style_line if style is None else style
        context["previews"] = [(shot, sent[shot.pk]) for shot in shots]
        context["prompt_limit"] = PROMPT_MAX_LENGTH
        context["style_limit"] = STYLE_LINE_MAX_LENGTH
    return TemplateResponse(request, f"{TAKE_TEMPLATE}#batch-confirm", context)


@login_required
@require_POST
def batch_generate(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    storyboard = get_storyboard(request, uuid)
    shots = chosen_shots(request, storyboard)
    try:
        # The style line as left in the confirmation; absent (no kit, or no confirmation
        # seen), the kit's own.
        style = request.POST.get("style")
        takes = services.takes_create(user=request.user, shots=shots, style=style)
    except ValidationError as error:
        where = f"#{confirm_target(request)}"
        return storyboard_refused(request, storyboard, error, where=where)
    if not request.htmx:
        return redirect("storyboard_detail", uuid=storyboard.uuid)
    # The cards come with the live updates, as for one take (take_added).
    context = {"takes": takes, "storyboard": storyboard}
    return storyboard_changed(TemplateResponse(request, f"{TAKE_TEMPLATE}#batch-added", context))


@login_required
@require_GET
def shot_budget_after(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """The line under a Generate or Retry confirmation (a retry is a new take of the shot as it
    is now), asked for when the dialog opens: it counts the takes started since the page was
    drawn, by anyone on the project."""
    shot = get_shot(request, uuid)
    project = shot.storyboard.project
    left_after = services.budget_left_after(project=project, cost=shot.estimated_cost)
    return TemplateResponse(request, "projects/budget_after.html", {"left_after": left_after})


@login_required
@require_POST
def take_retry(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    old = get_take(request, uuid)
    return generation_answer(
        request, old.shot, lambda: services.take_retry(user=request.user, take=old)
    )


def take_card(request: HtmxHttpRequest, take: Take) -> HttpResponse:
    if not request.htmx:
        return redirect("storyboard_detail", uuid=take.shot.storyboard.uuid)
    context = {"take": take, "can_edit": True}
    return TemplateResponse(request, f"{TAKE_TEMPLATE}#take", context)


@login_required
@require_POST
def take_cancel(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    take = get_take(request, uuid)
    try:
        services.take_request_cancel(user=request.user, take=take)
    except ValidationError as error:
        return generation_refused(request, take.shot, error)
    return take_card(request, take)


@login_required
@require_POST
def take_check_again(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    take = get_take(request, uuid)
    try:
        services.take_check_again(user=request.user, take=take)
    except ValidationError as error:
        return generation_refused(request, take.shot, error)
    # Redrawn in place (no second card can appear); the live updates follow it from here.
    return storyboard_changed(take_card(request, take))


@login_required
@require_POST
def take_select(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """This take becomes the shot's choice; the shot's card is drawn again with its badges."""
    take = get_take(request, uuid)
    try:
        services.take_select(user=request.user, take=take)
    except ValidationError as error:
        return generation_refused(request, take.shot, error)
    if not request.htmx:
        return redirect("storyboard_detail", uuid=take.shot.storyboard.uuid)
    return shot_card(request, take.shot)


@login_required
@require_POST
def submissions_resume(request: AuthenticatedHttpRequest) -> HttpResponse:
    sent = services.submissions_resume(user=request.user)
    messages.success(request, f"Submissions resumed: {sent} waiting take{pluralize(sent)} sent.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("dashboard")
    return redirect(target)


@login_required
@require_GET
def polling_watch(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The poll plan as learned, and the recent p95 lag, for operators: staff only, since it
    spans every team's takes (others get the 404 of a page that is not there)."""
    if not request.user.is_staff:
        raise Http404("No such page.")
    rows = render_history.watch(grace=steps.poll_intervals().first_poll_grace)
    context = {"rows": rows, "target": polling.LAG_TARGET}
    return TemplateResponse(request, "generation/polling_watch.html", context)


@csrf_exempt
@require_POST
def gateway_webhook(request: HttpRequest, key) -> HttpResponse:
    """The gateway's event for one take. Answered within its 10 s: the work is queued."""
    secret = settings.AIGATEWAY_WEBHOOK_SECRET
    if not secret:
        raise Http404("Webhooks are not configured.")
    try:
        event = webhooks.verify_event(
            secret=secret,
            timestamp=request.headers.get("aig-timestamp"),
            signature=request.headers.get("aig-signature"),
            body=request.body,
            now=time.time(),
        )
    except webhooks.InvalidWebhook as error:
        return HttpResponse(str(error), status=400, content_type="text/plain")
    take = services.webhook_take(key=key, job_id=event["data"]["job_id"])
    if take is None:
        log.warning(
            "Refused webhook %s for job %s at %s", event["id"], event["data"]["job_id"], key
        )
        return HttpResponse("no such take for this job", status=400, content_type="text/plain")
    services.webhook_receive(take=take, event=event)
    return HttpResponse(status=204)


@login_required
@require_GET
def take_video(request: AuthenticatedHttpRequest, uuid) -> HttpResponseBase:
    return take_media(request, get_take(request, uuid), "video")


@login_required
@require_GET
def take_poster(request: AuthenticatedHttpRequest, uuid) -> HttpResponseBase:
    return take_media(request, get_take(request, uuid), "poster")
