"""Storyboarding sessions: shots edited in place (with conflicts shown side by side),
reordered, moved, duplicated, deleted with undo, and everyone's changes shown live."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from studio.access import get_shot, get_storyboard
from studio.catalog.models import VideoModel
from studio.htmx import AuthenticatedHttpRequest, parse_id
from studio.teams.models import Action
from studio.teams.services import require_action, user_can

from . import live, services
from .forms import ShotEditForm, ShotForm
from .fragments import (
    shot_card,
    shot_part,
    storyboard_changed,
    storyboard_page,
    storyboard_refused,
)
from .models import Shot


def edit_form_for(request: HttpRequest, shot: Shot) -> ShotEditForm:
    """The edit form as posted, checked against the model the editor picked."""
    prefix = f"edit-{shot.pk}"
    chosen = parse_id(request.POST.get(f"{prefix}-video_model"))
    model = (chosen and VideoModel.objects.enabled().filter(pk=chosen).first()) or shot.video_model
    return ShotEditForm(request.POST, video_model=model, prefix=prefix)


@login_required
@require_GET
def shot_edit(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """Open the shot's edit form in place of its card body."""
    shot = get_shot(request, uuid)
    require_action(user=request.user, team=shot.storyboard.project.team, action=Action.EDIT)
    if not request.htmx:
        return redirect(
            f"{reverse('storyboard_detail', args=[shot.storyboard.uuid])}"
            f"?edit={shot.uuid}#shot-{shot.uuid}"
        )
    return shot_part(request, shot, "shot-edit", form=ShotEditForm.for_shot(shot))


@login_required
@require_GET
def shot_view(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """The shot's card body again: Cancel of an edit, or "use theirs" after a conflict."""
    shot = get_shot(request, uuid)
    if not request.htmx:
        return redirect("storyboard_detail", uuid=shot.storyboard.uuid)
    can_edit = user_can(request, shot.storyboard.project.team, Action.EDIT)
    return shot_part(request, shot, "shot-body", can_edit=can_edit)


@login_required
@require_POST
def shot_update(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    shot = get_shot(request, uuid)
    form = edit_form_for(request, shot)
    edit = {"uuid": shot.uuid, "form": form}
    if not form.is_valid():
        # The form with its errors is for those who may send it (the service checks the rest).
        require_action(user=request.user, team=shot.storyboard.project.team, action=Action.EDIT)
    else:
        data = dict(form.cleaned_data)
        try:
            shot = services.shot_update(
                user=request.user, shot=shot, base_version=data.pop("version"), **data
            )
        except services.ShotConflict as conflict:
            shot, edit = conflict.current, conflict_edit(conflict.current, form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if not request.htmx:
                return redirect("storyboard_detail", uuid=shot.storyboard.uuid)
            return storyboard_changed(shot_part(request, shot, "shot-body"))
    if not request.htmx:
        return storyboard_page(
            request, shot.storyboard, ShotForm(video_model=shot.video_model), edit
        )
    return shot_part(request, shot, "shot-edit", **edit)


def conflict_edit(current: Shot, mine: ShotEditForm) -> dict:
    """Both texts side by side. "Keep mine" saves the editor's text over the version they have
    now seen; "Use theirs" drops it. Either way it is a choice, not an accident."""
    data = mine.cleaned_data
    differences = [
        {"label": mine.fields[name].label, "theirs": getattr(current, name), "mine": data[name]}
        for name in services.EDITABLE_FIELDS
        if getattr(current, name) != data[name]
    ]
    again = ShotEditForm(
        initial={**data, "video_model": data["video_model"].pk, "version": current.version},
        video_model=data["video_model"],
        prefix=mine.prefix,
    )
    return {"uuid": current.uuid, "form": again, "differences": differences, "conflict": True}


@login_required
@require_POST
def shot_duplicate(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """The copy's card goes straight after the original's."""
    shot = get_shot(request, uuid)
    copy = services.shot_duplicate(user=request.user, shot=shot)
    if not request.htmx:
        return redirect("storyboard_detail", uuid=shot.storyboard.uuid)
    return storyboard_changed(shot_card(request, copy))


@login_required
@require_POST
def shot_delete(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """The card gives way to an Undo bar for UNDO_WINDOW."""
    shot = get_shot(request, uuid)
    try:
        services.shot_delete(user=request.user, shot=shot)
    except ValidationError as error:
        return storyboard_refused(request, shot.storyboard, error)
    if not request.htmx:
        messages.success(request, f"Shot {shot.position} deleted.")
        return redirect("storyboard_detail", uuid=shot.storyboard.uuid)
    expires = services.undo_expires_at(shot)
    return storyboard_changed(shot_part(request, shot, "shot-deleted", undo_until=expires))


@login_required
@require_POST
def shot_restore(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    shot = get_shot(request, uuid, deleted=True)
    try:
        shot = services.shot_restore(user=request.user, shot=shot)
    except ValidationError as error:
        return storyboard_refused(request, shot.storyboard, error)
    if not request.htmx:
        return redirect("storyboard_detail", uuid=shot.storyboard.uuid)
    return storyboard_changed(shot_card(request, shot))


@login_required
@require_POST
def shots_reorder(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """The order after a drag. The page already shows it; the numbers follow live."""
    storyboard = get_storyboard(request, uuid)
    try:
        services.shots_reorder(
            user=request.user, storyboard=storyboard, shot_uuids=request.POST.getlist("shot")
        )
    except ValidationError as error:
        return storyboard_refused(request, storyboard, error)
    if not request.htmx:
        return redirect("storyboard_detail", uuid=storyboard.uuid)
    return storyboard_changed(HttpResponse(status=204))


@login_required
@require_POST
def shot_move(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    shot = get_shot(request, uuid)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""))
    if offset is None:
        return storyboard_refused(
            request, shot.storyboard, ValidationError("Move a shot up or down.")
        )
    services.shot_move(user=request.user, shot=shot, offset=offset)
    if not request.htmx:
        return redirect(
            f"{reverse('storyboard_detail', args=[shot.storyboard.uuid])}#shot-{shot.uuid}"
        )
    return storyboard_changed(HttpResponse(status=204))


# Live updates


@login_required
@require_GET
def storyboard_live(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    """One request per page per interval, whatever the page shows: what changed since the
    page's token (drawn once for everyone at the same version, see live.py), who else is here,
    and the next token. A board that has not changed since the token draws no shot at all."""
    storyboard = get_storyboard(request, uuid)
    now = timezone.now()
    presence = live.here(storyboard, request.user, now)
    since_version, since = live.parse_token(request.GET.get("since", ""))
    board = live.live_version(storyboard, now)
    context = {
        "storyboard": storyboard,
        "live_shots": live.shared_shots(request, storyboard, since_version, since, board, now),
        "live_token": live.token_for(board.version, live.first_answered(storyboard, board, now)),
        "presence": presence,
        "in_progress": board.rendering,
    }
    return TemplateResponse(request, "projects/storyboard_live.html", context)
