from datetime import UTC, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from studio.access import get_project, get_shot, get_storyboard
from studio.activity.charts import project_spend_chart
from studio.catalog.models import VideoModel
from studio.generation.ledger import Costs, project_costs, project_totals, takes_cost
from studio.generation.models import ACTIVE_STATUSES
from studio.htmx import AuthenticatedHttpRequest, parse_uuid
from studio.teams.models import Action, Role, Team
from studio.teams.services import (
    current_membership,
    require_action,
    team_ensure_personal,
    user_can,
    user_memberships,
)

from . import csv_import, services
from .forms import BudgetForm, ImportForm, ProjectForm, ShotEditForm, ShotForm, StoryboardForm
from .fragments import (
    SESSION_TEMPLATE,
    shot_card,
    shot_part,
    storyboard_changed,
    storyboard_refused,
    storyboard_shots,
)
from .models import Project, Shot, Storyboard, visible_shots


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> TemplateResponse:
    """The current team's projects (the topbar switcher changes which team that is)."""
    membership = current_membership(request)
    projects = Project.objects.none()
    if membership is not None:
        projects = (
            Project.objects.for_user(request.user)
            .filter(team=membership.team)
            .annotate(storyboard_count=Count("storyboards", distinct=True))
        )
    context = {
        "projects": projects,
        "membership": membership,
        "team_count": len(user_memberships(request)),
    }
    return TemplateResponse(request, "projects/dashboard.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    team_ensure_personal(user=request.user)
    teams = Team.objects.filter(memberships__user=request.user, memberships__role=Role.OWNER)
    current = current_membership(request)
    # The team the user is working in, when they may start projects in it.
    initial = {"team": current.team.pk} if current and current.role == Role.OWNER else {}
    form = ProjectForm(request.POST or None, teams=teams, initial=initial)
    if not form.teams:
        messages.error(request, "Only a team's owner can start a project; ask yours.")
    elif form.is_valid():
        project = services.project_create(user=request.user, **form.cleaned_data)
        return redirect("project_detail", uuid=project.uuid)
    return TemplateResponse(request, "projects/project_form.html", {"form": form})


@login_required
@require_GET
def project_detail(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    return project_page(request, get_project(request, uuid))


@login_required
@require_http_methods(["GET", "POST"])
def storyboard_create(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    project = get_project(request, uuid)
    form = StoryboardForm(request.POST or None)
    if form.is_valid():
        storyboard = services.storyboard_create(
            user=request.user, project=project, title=form.cleaned_data["title"]
        )  # the service checks the role
        return redirect("storyboard_detail", uuid=storyboard.uuid)
    # The form page (blank, or with its errors) is for those who may send it.
    require_action(user=request.user, team=project.team, action=Action.EDIT)
    return TemplateResponse(
        request, "projects/storyboard_form.html", {"form": form, "project": project}
    )


def takes_in_progress(shots) -> int:
    return sum(take.is_active for shot in shots for take in shot.takes.all())


def default_video_model(request: HttpRequest) -> VideoModel:
    chosen = request.POST.get("video_model") or request.GET.get("video_model")
    models = VideoModel.objects.enabled()
    return (chosen and models.filter(pk=chosen).first()) or get_object_or_404(models[:1])


def storyboard_page(
    request: HttpRequest, storyboard: Storyboard, shot_form: ShotForm, edit: dict | None = None
) -> TemplateResponse:
    """The whole page. `edit` opens one shot's edit form in place (a link from elsewhere, or a
    form that came back with errors or a conflict when JavaScript is off)."""
    shots = storyboard_shots(storyboard.shots.all())
    now = timezone.now()
    context = {
        "in_progress": takes_in_progress(shots),
        "storyboard": storyboard,
        "project": storyboard.project,
        "shots": shots,
        "can_edit": user_can(request, storyboard.project.team, Action.EDIT),
        "shot_form": shot_form,
        "edit": edit or {},
        "live_token": live_token(now),
        "present": services.present_users(storyboard, now),
    }
    return TemplateResponse(request, "projects/storyboard_detail.html", context)


@login_required
@require_GET
def storyboard_detail(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    storyboard = get_storyboard(request, uuid)
    edit = None
    editing = parse_uuid(request.GET.get("edit", ""))
    if editing and user_can(request, storyboard.project.team, Action.EDIT):
        shot = storyboard.shots.select_related("video_model").filter(uuid=editing).first()
        if shot is not None:
            edit = {"uuid": shot.uuid, "form": ShotEditForm.for_shot(shot)}
    form = ShotForm(video_model=default_video_model(request))
    return storyboard_page(request, storyboard, form, edit)


@login_required
@require_POST
def shot_create(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """Add shot: the new shot card is appended to the list and the form comes back empty."""
    storyboard = get_storyboard(request, uuid)
    form = ShotForm(request.POST, video_model=default_video_model(request))
    if form.is_valid():
        try:
            shot = services.shot_create(
                user=request.user, storyboard=storyboard, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if not request.htmx:
                return redirect("storyboard_detail", uuid=storyboard.uuid)
            context = {
                "shot": shot,
                "storyboard": storyboard,
                "can_edit": True,
                "shot_form": ShotForm(video_model=shot.video_model),
            }
            return TemplateResponse(request, "projects/storyboard_detail.html#shot-added", context)
    if not request.htmx:
        return storyboard_page(request, storyboard, form)
    response = TemplateResponse(
        request,
        "projects/storyboard_detail.html#shot-form",
        {"shot_form": form, "storyboard": storyboard},
    )
    return reswap(retarget(response, "#shot-form"), "outerHTML")


@login_required
@require_GET
def shot_form(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    """The Add shot form again for another model: its own aspect ratios and durations."""
    storyboard = get_storyboard(request, uuid)
    form = ShotForm(initial=request.GET.dict(), video_model=default_video_model(request))
    return TemplateResponse(
        request,
        "projects/storyboard_detail.html#shot-form",
        {"shot_form": form, "storyboard": storyboard},
    )


@login_required
@require_GET
def shot_estimate(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    """The live cost estimate beside the Duration field: "4 s, $1.60"."""
    storyboard = get_storyboard(request, uuid)
    form = ShotForm(request.GET, video_model=default_video_model(request))
    context = {"storyboard": storyboard, "estimate": form.estimate()}
    return TemplateResponse(request, "projects/storyboard_detail.html#estimate", context)


# Storyboarding sessions: shots edited in place, reordered, duplicated, deleted with undo,
# imported from CSV, and everyone's changes shown live.

# Live updates re-read this far behind the viewer's token: a change whose transaction took its
# timestamp before the last read but committed after it is still picked up. The page skips
# cards it already shows at the same stamp, so the overlap costs bytes, not flicker.
LIVE_OVERLAP = timedelta(seconds=5)


def edit_form_for(request: HttpRequest, shot: Shot) -> ShotEditForm:
    """The edit form as posted, checked against the model the editor picked."""
    prefix = f"edit-{shot.pk}"
    chosen = request.POST.get(f"{prefix}-video_model")
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
    require_action(user=request.user, team=shot.storyboard.project.team, action=Action.EDIT)
    form = edit_form_for(request, shot)
    edit = {"uuid": shot.uuid, "form": form}
    if form.is_valid():
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


@login_required
@require_http_methods(["GET", "POST"])
def storyboard_import(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """Shots from a CSV in two steps: the file is checked and previewed row by row, and only
    Import saves. The checked text travels in the preview form, so nothing is stored between."""
    storyboard = get_storyboard(request, uuid)
    require_action(user=request.user, team=storyboard.project.team, action=Action.EDIT)
    video_model = default_video_model(request)
    context: dict = {"storyboard": storyboard, "project": storyboard.project}
    # A file-only POST has an empty request.POST: bind on the method, not on its truthiness.
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    try:
        if "csv_text" in request.POST:
            parsed = csv_import.parse(request.POST["csv_text"], video_model=video_model)
            imported = services.shots_import(
                user=request.user, storyboard=storyboard, rows=parsed.rows, video_model=video_model
            )
            count = len(imported.shots)
            note = f" ({imported.skipped} row{pluralize(imported.skipped)} with errors skipped)"
            messages.success(
                request,
                f"Imported {count} shot{pluralize(count)}{note if imported.skipped else ''}.",
            )
            return redirect("storyboard_detail", uuid=storyboard.uuid)
        if form.is_valid():
            text = csv_import.decode(form.cleaned_data["file"].read())
            parsed = csv_import.parse(text, video_model=video_model)
            context |= {"parsed": parsed, "csv_text": text, "video_model": video_model}
            context["cost"] = video_model.cost_for(parsed.seconds)
    except (csv_import.UnreadableFile, ValidationError) as error:
        form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))
    context["form"] = form
    return TemplateResponse(request, "projects/storyboard_import.html", context)


# Live updates


def live_token(now: datetime) -> str:
    return f"{now.timestamp():.6f}"


def since_token(value: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (OverflowError, ValueError):
        return None


def changed_shots(storyboard: Storyboard, since: datetime | None) -> QuerySet[Shot]:
    """Shots to draw again: edited, moved, deleted or restored since the token, or with a take
    that changed or is still rendering (its progress moves). Deleted ones come too, so every
    page drops them. No token: all of them."""
    shots = Shot.all_objects.filter(storyboard=storyboard)
    if since is not None:
        window = since - LIVE_OVERLAP
        shots = shots.filter(
            Q(updated_at__gte=window)
            | Q(takes__updated_at__gte=window)
            | Q(takes__status__in=ACTIVE_STATUSES)
        ).distinct()
    return storyboard_shots(shots)


@login_required
@require_GET
def storyboard_live(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    """One request per page per interval, whatever the page shows: what changed since the
    page's token, who else is here, and the next token."""
    storyboard = get_storyboard(request, uuid)
    now = timezone.now()
    services.presence_touch(storyboard=storyboard, user=request.user, now=now)
    shots = list(changed_shots(storyboard, since_token(request.GET.get("since", ""))))
    for shot in shots:
        # They are all this storyboard's: the cards reach its project and team without a query
        # each (the storyboard page gets this from the related manager).
        shot.storyboard = storyboard
    context = {
        "storyboard": storyboard,
        "shots": shots,
        "can_edit": user_can(request, storyboard.project.team, Action.EDIT),
        "live_token": live_token(now),
        "present": services.present_users(storyboard, now),
        "in_progress": takes_in_progress(shots),
    }
    return TemplateResponse(request, f"{SESSION_TEMPLATE}#live-update", context)


# The project page: budget, spend and activity (project-level views below this line).

RECENT_ACTIVITY = 8


def budget_context(project: Project, costs: Costs, form: BudgetForm | None = None) -> dict:
    return {
        "project": project,
        "costs": costs,
        "remaining": project.budget - costs.committed,
        "budget_form": BudgetForm(initial={"budget": project.budget}) if form is None else form,
    }


def project_page(
    request: HttpRequest, project: Project, budget_form: BudgetForm | None = None
) -> TemplateResponse:
    total, per_storyboard = project_costs(project)
    shot_count = Count("shots", filter=visible_shots("shots__"))
    storyboards = list(project.storyboards.annotate(shot_count=shot_count))
    context = budget_context(project, total, budget_form) | {
        # Each storyboard's card with its costs.
        "storyboards": [
            (storyboard, per_storyboard.get(storyboard.pk, Costs())) for storyboard in storyboards
        ],
        "playlists": project.playlists.annotate(cost=takes_cost("items__clip")),
        "chart": project_spend_chart(project, storyboards),
        "recent": project.activities.select_related("storyboard")[:RECENT_ACTIVITY],
        "can_edit": user_can(request, project.team, Action.EDIT),
        "can_manage": user_can(request, project.team, Action.MANAGE),
    }
    return TemplateResponse(request, "projects/project_detail.html", context)


@login_required
@require_POST
def project_budget(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """Owners change the budget in place: the budget card comes back, and the recent activity
    with its new line."""
    project = get_project(request, uuid)
    require_action(user=request.user, team=project.team, action=Action.MANAGE)
    form = BudgetForm(request.POST)
    if form.is_valid():
        try:
            services.project_budget_set(
                user=request.user, project=project, budget=form.cleaned_data["budget"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if not request.htmx:
                messages.success(request, f"The budget is now ${project.budget:,.2f}.")
                return redirect("project_detail", uuid=project.uuid)
            form = BudgetForm(initial={"budget": project.budget})
    if not request.htmx:
        return project_page(request, project, form)
    context = budget_context(project, project_totals(project), form) | {
        "can_manage": True,
        "recent": project.activities.select_related("storyboard")[:RECENT_ACTIVITY],
        "oob": True,
    }
    return TemplateResponse(request, "projects/project_detail.html#budget-changed", context)
