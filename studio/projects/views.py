from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, retarget

from studio.catalog.models import VideoModel
from studio.generation.ledger import Costs, project_costs
from studio.generation.models import Clip
from studio.teams.models import Action, Membership, Role, Team
from studio.teams.services import require_action, team_ensure_personal

from . import services
from .forms import ProjectForm, ShotForm, StoryboardForm
from .models import Project, Storyboard


def get_project(request: HttpRequest, uuid) -> Project:
    return get_object_or_404(
        Project.objects.for_user(request.user).select_related("team"), uuid=uuid
    )


def get_storyboard(request: HttpRequest, uuid) -> Storyboard:
    return get_object_or_404(
        Storyboard.objects.for_user(request.user).select_related("project__team"), uuid=uuid
    )


def user_can(request: HttpRequest, team, action: str) -> bool:
    membership = Membership.objects.filter(user=request.user, team=team).first()
    return membership is not None and membership.allows(action)


@login_required
@require_GET
def dashboard(request: HttpRequest) -> TemplateResponse:
    projects = (
        Project.objects.for_user(request.user)
        .select_related("team")
        .annotate(storyboard_count=Count("storyboards", distinct=True))
    )
    return TemplateResponse(request, "projects/dashboard.html", {"projects": projects})


@login_required
@require_http_methods(["GET", "POST"])
def project_create(request: HttpRequest) -> HttpResponse:
    team_ensure_personal(user=request.user)
    teams = Team.objects.filter(memberships__user=request.user, memberships__role=Role.OWNER)
    form = ProjectForm(request.POST or None, teams=teams)
    if not form.fields["team"].queryset:
        messages.error(request, "Only a team's owner can start a project; ask yours.")
    elif form.is_valid():
        project = services.project_create(user=request.user, **form.cleaned_data)
        return redirect("project_detail", uuid=project.uuid)
    return TemplateResponse(request, "projects/project_form.html", {"form": form})


@login_required
@require_GET
def project_detail(request: HttpRequest, uuid) -> TemplateResponse:
    project = get_project(request, uuid)
    total, per_storyboard = project_costs(project)
    storyboards = list(project.storyboards.annotate(shot_count=Count("shots")))
    for storyboard in storyboards:
        storyboard.costs = per_storyboard.get(storyboard.pk, Costs())
    context = {
        "project": project,
        "storyboards": storyboards,
        "costs": total,
        "remaining": project.budget - total.committed,
        "playlists": project.playlists.all(),
        "can_edit": user_can(request, project.team, Action.EDIT),
    }
    return TemplateResponse(request, "projects/project_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def storyboard_create(request: HttpRequest, uuid) -> HttpResponse:
    project = get_project(request, uuid)
    require_action(user=request.user, team=project.team, action=Action.EDIT)
    form = StoryboardForm(request.POST or None)
    if form.is_valid():
        storyboard = services.storyboard_create(
            user=request.user, project=project, title=form.cleaned_data["title"]
        )
        return redirect("storyboard_detail", uuid=storyboard.uuid)
    return TemplateResponse(
        request, "projects/storyboard_form.html", {"form": form, "project": project}
    )


def storyboard_shots(storyboard: Storyboard):
    """Shots with their model and takes in three queries, however many there are."""
    return storyboard.shots.select_related("video_model").prefetch_related(
        Prefetch("takes", queryset=Clip.objects.order_by("take_number"))
    )


def default_video_model(request: HttpRequest) -> VideoModel:
    chosen = request.POST.get("video_model") or request.GET.get("video_model")
    models = VideoModel.objects.enabled()
    return (chosen and models.filter(pk=chosen).first()) or get_object_or_404(models[:1])


def storyboard_page(
    request: HttpRequest, storyboard: Storyboard, shot_form: ShotForm
) -> TemplateResponse:
    shots = storyboard_shots(storyboard)
    takes = [take for shot in shots for take in shot.takes.all()]
    context = {
        "storyboard": storyboard,
        "project": storyboard.project,
        "shots": shots,
        "active_takes": [take for take in takes if take.is_active],
        "can_edit": user_can(request, storyboard.project.team, Action.EDIT),
        "shot_form": shot_form,
    }
    return TemplateResponse(request, "projects/storyboard_detail.html", context)


@login_required
@require_GET
def storyboard_detail(request: HttpRequest, uuid) -> TemplateResponse:
    storyboard = get_storyboard(request, uuid)
    return storyboard_page(request, storyboard, ShotForm(video_model=default_video_model(request)))


@login_required
@require_POST
def shot_create(request: HttpRequest, uuid) -> HttpResponse:
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
def shot_form(request: HttpRequest, uuid) -> TemplateResponse:
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
def shot_estimate(request: HttpRequest, uuid) -> TemplateResponse:
    """The live cost estimate beside the Duration field: "4 s, $1.60"."""
    storyboard = get_storyboard(request, uuid)
    form = ShotForm(request.GET, video_model=default_video_model(request))
    context = {"storyboard": storyboard, "estimate": form.estimate()}
    return TemplateResponse(request, "projects/storyboard_detail.html#estimate", context)
