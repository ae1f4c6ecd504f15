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

from studio.access import SHOT_CONTEXT, get_clip, get_storyboard
from studio.htmx import AuthenticatedHttpRequest, HtmxHttpRequest, parse_uuids
from studio.projects.fragments import shot_card, storyboard_changed, storyboard_refused
from studio.projects.models import Shot, Storyboard
from studio.teams.models import Action
from studio.teams.services import require_action

from . import services, webhook_events, webhooks
from .media import take_media
from .models import Clip

TAKE_TEMPLATE = "projects/storyboard_detail.html"


def take_added(request: HtmxHttpRequest, clip: Clip, storyboard: Storyboard) -> HttpResponse:
    """The new take's card; the page's live updates follow its progress from here."""
    if not request.htmx:
        return redirect("storyboard_detail", uuid=storyboard.uuid)
    context = {"take": clip, "storyboard": storyboard, "can_edit": True}
    return storyboard_changed(TemplateResponse(request, f"{TAKE_TEMPLATE}#take", context))


def generation_refused(
    request: HtmxHttpRequest, shot: Shot, error: ValidationError
) -> HttpResponse:
    return storyboard_refused(request, shot.storyboard, error, where=f"#shot-{shot.uuid}-alert")


def generation_answer(request: HtmxHttpRequest, shot: Shot, make_take: Callable[[], Clip]):
    try:
        clip = make_take()
    except ValidationError as error:
        return generation_refused(request, shot, error)
    return take_added(request, clip, shot.storyboard)


@login_required
@require_POST
def shot_generate(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    shot = get_object_or_404(
        Shot.objects.for_user(request.user).select_related(*SHOT_CONTEXT), uuid=uuid
    )
    return generation_answer(
        request, shot, lambda: services.clip_create(user=request.user, shot=shot)
    )


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
    context = {"storyboard": storyboard, "chosen": shots}
    if shots:
        context["batch"] = services.batch_estimate(project=storyboard.project, shots=shots)
    return TemplateResponse(request, f"{TAKE_TEMPLATE}#batch-confirm", context)


@login_required
@require_POST
def batch_generate(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    storyboard = get_storyboard(request, uuid)
    shots = chosen_shots(request, storyboard)
    try:
        clips = services.clips_create(user=request.user, shots=shots)
    except ValidationError as error:
        return storyboard_refused(request, storyboard, error, where="#batch-confirm")
    if not request.htmx:
        return redirect("storyboard_detail", uuid=storyboard.uuid)
    context = {"takes": clips, "storyboard": storyboard, "can_edit": True}
    return storyboard_changed(TemplateResponse(request, f"{TAKE_TEMPLATE}#batch-added", context))


@login_required
@require_POST
def take_retry(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    old = get_clip(request, uuid)
    return generation_answer(
        request, old.shot, lambda: services.clip_retry(user=request.user, clip=old)
    )


def take_card(request: HtmxHttpRequest, clip: Clip) -> HttpResponse:
    if not request.htmx:
        return redirect("storyboard_detail", uuid=clip.shot.storyboard.uuid)
    context = {"take": clip, "can_edit": True}
    return TemplateResponse(request, f"{TAKE_TEMPLATE}#take", context)


@login_required
@require_POST
def take_cancel(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    clip = get_clip(request, uuid)
    try:
        services.clip_request_cancel(user=request.user, clip=clip)
    except ValidationError as error:
        return generation_refused(request, clip.shot, error)
    return take_card(request, clip)


@login_required
@require_POST
def take_check_again(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    clip = get_clip(request, uuid)
    try:
        services.clip_check_again(user=request.user, clip=clip)
    except ValidationError as error:
        return generation_refused(request, clip.shot, error)
    return take_added(request, clip, clip.shot.storyboard)


@login_required
@require_POST
def take_select(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """This take becomes the shot's choice; the shot's card is drawn again with its badges."""
    clip = get_clip(request, uuid)
    try:
        services.clip_select(user=request.user, clip=clip)
    except ValidationError as error:
        return generation_refused(request, clip.shot, error)
    if not request.htmx:
        return redirect("storyboard_detail", uuid=clip.shot.storyboard.uuid)
    return shot_card(request, clip.shot)


@login_required
@require_POST
def submissions_resume(request: AuthenticatedHttpRequest) -> HttpResponse:
    sent = services.submissions_resume(user=request.user)
    messages.success(request, f"Submissions resumed: {sent} waiting take{pluralize(sent)} sent.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("dashboard")
    return redirect(target)


@csrf_exempt
@require_POST
def gateway_webhook(request: HttpRequest, uuid) -> HttpResponse:
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
    clip = get_object_or_404(Clip, uuid=uuid)
    webhook_events.webhook_receive(clip=clip, event=event)
    return HttpResponse(status=204)


@login_required
@require_GET
def take_video(request: AuthenticatedHttpRequest, uuid) -> HttpResponseBase:
    return take_media(request, get_clip(request, uuid), "video")


@login_required
@require_GET
def take_poster(request: AuthenticatedHttpRequest, uuid) -> HttpResponseBase:
    return take_media(request, get_clip(request, uuid), "poster")
