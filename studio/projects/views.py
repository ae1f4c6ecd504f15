from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, F, OuterRef, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from studio.access import get_project, get_shot, get_storyboard
from studio.catalog.models import VideoModel
from studio.generation.charts import project_spend_chart
from studio.generation.ledger import (
    PROJECT_SPENT,
    Costs,
    project_costs,
    project_totals,
    takes_cost,
)
from studio.generation.models import Take, TakeStatus
from studio.generation.services import project_budget_set
from studio.htmx import AuthenticatedHttpRequest, parse_id, parse_uuid, refused
from studio.playlists import variants
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
    board_view,
    live_token,
    shot_part,
    storyboard_changed,
    storyboard_page,
    storyboard_refused,
    storyboard_shots,
)
from .models import Project, Storyboard, visible_shots


@login_required
@require_GET
def dashboard(request: AuthenticatedHttpRequest) -> TemplateResponse:
    """The current team's projects (the topbar switcher changes which team that is)."""
    membership = current_membership(request)
    projects = Project.objects.none()
    # Each card's thumbnail: the poster of the project's latest finished take.
    latest_posters = (
        Take.objects.filter(
            visible_shots("shot__"),
            shot__storyboard__project=OuterRef("pk"),
            status=TakeStatus.COMPLETED,
        )
        .exclude(poster="")
        .order_by(F("finished_at").desc(nulls_last=True), "-pk")
    )
    if membership is not None:
        projects = (
            Project.objects.for_user(request.user)
            .filter(team=membership.team)
            .annotate(
                storyboard_count=Count("storyboards", distinct=True),
                spent=PROJECT_SPENT,
                poster_take=Subquery(latest_posters.values("uuid")[:1]),
            )
        )
    context = {
        "projects": projects,
        "membership": membership,
        # Without a team, project_create makes the user's own, which they own.
        "may_create": membership is None or membership.allows(Action.MANAGE),
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
        try:
            project = services.project_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
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


def default_video_model(request: HttpRequest) -> VideoModel:
    chosen = parse_id(request.POST.get("video_model") or request.GET.get("video_model"))
    models = VideoModel.objects.enabled()
    return (chosen and models.filter(pk=chosen).first()) or get_object_or_404(models[:1])


@login_required
@require_GET
@vary_on_headers("HX-Request")
def storyboard_detail(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    storyboard = get_storyboard(request, uuid)
    opened = parse_uuid(request.GET.get("shot", ""))
    if request.htmx and opened:
        return shot_drawer(request, storyboard, opened)
    edit = None
    editing = parse_uuid(request.GET.get("edit", ""))
    if editing and user_can(request, storyboard.project.team, Action.EDIT):
        shot = storyboard.shots.select_related("video_model").filter(uuid=editing).first()
        if shot is not None:
            edit = {"uuid": shot.uuid, "form": ShotEditForm.for_shot(shot)}
    # The New shot form is for those who may add shots: a viewer's page reads no models.
    may_edit = user_can(request, storyboard.project.team, Action.EDIT)
    form = ShotForm(video_model=default_video_model(request)) if may_edit else None
    return storyboard_page(request, storyboard, form, edit, open_uuid=opened)


def shot_drawer(
    request: AuthenticatedHttpRequest, storyboard: Storyboard, opened: UUID
) -> TemplateResponse:
    """A board frame's shot (prompt, takes, review) in the drawer beside the board."""
    shot = storyboard_shots(storyboard.shots.filter(uuid=opened)).first()
    context = {
        "storyboard": storyboard,
        "open_shot": shot,
        "can_edit": user_can(request, storyboard.project.team, Action.EDIT),
        "live_token": live_token(timezone.now()),
    }
    return TemplateResponse(request, "projects/storyboard_detail.html#drawer", context)


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
                "board": board_view(request),
                "shot_form": ShotForm(video_model=shot.video_model),
            }
            return TemplateResponse(request, "projects/storyboard_detail.html#shot-added", context)
    if not request.htmx:
        return storyboard_page(request, storyboard, form)
    response = TemplateResponse(
        request,
        "projects/storyboard_detail.html#shot-form",
        {"shot_form": form, "storyboard": storyboard, "board": board_view(request)},
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
        {"shot_form": form, "storyboard": storyboard, "board": board_view(request)},
    )


@login_required
@require_GET
def shot_estimate(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    """The live cost estimate beside the Duration field: "4 s, $1.60"."""
    storyboard = get_storyboard(request, uuid)
    form = ShotForm(request.GET, video_model=default_video_model(request))
    context = {"storyboard": storyboard, "estimate": form.estimate()}
    return TemplateResponse(request, "projects/storyboard_detail.html#estimate", context)


@login_required
@require_http_methods(["GET", "POST"])
def storyboard_import(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """Shots from a CSV in two steps: the file is checked and previewed row by row, and only
    Import saves. The checked text travels in the preview form, so nothing is stored between."""
    storyboard = get_storyboard(request, uuid)
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
        # Importing is checked by the service; the form and its preview are for those who may.
        require_action(user=request.user, team=storyboard.project.team, action=Action.EDIT)
        if form.is_valid():
            text = csv_import.read_upload(form.cleaned_data["file"])
            parsed = csv_import.parse(text, video_model=video_model)
            context |= {"parsed": parsed, "csv_text": text, "video_model": video_model}
            context["cost"] = video_model.cost_for(parsed.seconds)
    except (csv_import.UnreadableFile, ValidationError) as error:
        form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))
    context["form"] = form
    return TemplateResponse(request, "projects/storyboard_import.html", context)


# Variants for testing: parts marked on the shots, combinations made into playlists.


@login_required
@require_POST
def shot_part_set(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """The Part menu on a shot card: its body comes back, and the Variants panel refreshes
    (it listens for storyboard-changed)."""
    shot = get_shot(request, uuid)
    try:
        services.shot_part_set(user=request.user, shot=shot, part=request.POST.get("part", ""))
    except ValidationError as error:
        return storyboard_refused(request, shot.storyboard, error, where=f"#shot-{shot.uuid}-alert")
    if not request.htmx:
        return redirect(
            f"{reverse('storyboard_detail', args=[shot.storyboard.uuid])}#shot-{shot.uuid}"
        )
    return storyboard_changed(shot_part(request, shot, "shot-body"))


VARIANTS_TEMPLATE = "projects/storyboard_variants.html"


def variants_limit(request: HttpRequest) -> int:
    """The bound asked for; the default for anything that is not a number (the service
    refuses a number out of range, in words)."""
    value = (request.POST if request.method == "POST" else request.GET).get("limit", "")
    number = parse_id(value.strip())
    return variants.DEFAULT_LIMIT if number is None else number


@login_required
@require_GET
def storyboard_variants(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    """The Variants panel: the parts and their alternatives, how many variants the bound makes
    and what they cost, before anything is made."""
    storyboard = get_storyboard(request, uuid)
    limit = variants_limit(request)
    context = {
        "storyboard": storyboard,
        "project": storyboard.project,
        "limit": limit,
        "max_limit": variants.MAX_LIMIT,
        "can_edit": user_can(request, storyboard.project.team, Action.EDIT),
    }
    try:
        context["plan"] = variants.variants_plan(storyboard=storyboard, limit=limit)
    except ValidationError as error:
        context["error"] = error.messages[0]
    partial = "#variants" if request.htmx else ""
    return TemplateResponse(request, f"{VARIANTS_TEMPLATE}{partial}", context)


@login_required
@require_POST
def variants_make(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """Make N variants: the playlists, and any take they still need, all or nothing."""
    storyboard = get_storyboard(request, uuid)
    try:
        playlists = variants.variants_make(
            user=request.user, storyboard=storyboard, limit=variants_limit(request)
        )
    except ValidationError as error:
        back = reverse("storyboard_variants", args=[storyboard.uuid])
        return refused(request, error, "#variants-alert", back)
    if not request.htmx:
        count = len(playlists)
        messages.success(request, f"Made {count} variant{pluralize(count)}: review them here.")
        return redirect("project_detail", uuid=storyboard.project.uuid)
    context = {"storyboard": storyboard, "playlists": playlists}
    # No storyboard-changed here: the panel would redraw itself over this answer. New takes
    # reach their shots' cards with the next live update.
    return TemplateResponse(request, f"{VARIANTS_TEMPLATE}#variants-made", context)


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
        "playlists": project.playlists.annotate(cost=takes_cost("items__take")),
        "chart": project_spend_chart(project, storyboards),
        "recent": project.activities.for_display()[:RECENT_ACTIVITY],
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
    form = BudgetForm(request.POST)
    if not form.is_valid():
        # The form with its errors is for those who may send it (the service checks the rest).
        require_action(user=request.user, team=project.team, action=Action.MANAGE)
    else:
        try:
            project_budget_set(
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
        "recent": project.activities.for_display()[:RECENT_ACTIVITY],
        "oob": True,
    }
    return TemplateResponse(request, "projects/project_detail.html#budget-changed", context)
