"""The storyboard page's shared answers: the whole page, a shot card drawn afresh, the nudge that
makes the page fetch live changes, a refused change. The board's views, its session views and the
generation views answer with these."""

from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import trigger_client_event

from studio.generation.models import Take
from studio.htmx import HtmxHttpRequest, refused
from studio.review.services import take_review_prefetches
from studio.teams.models import Action
from studio.teams.services import user_can

from . import services
from .forms import ShotForm
from .models import Shot, Storyboard

SESSION_TEMPLATE = "projects/storyboard_detail.html"


def storyboard_shots(shots: QuerySet[Shot]) -> QuerySet[Shot]:
    """Shots with their model and takes in three queries, however many there are: the page
    and the live updates draw shot cards from this one query."""
    return shots.select_related("video_model").prefetch_related(
        Prefetch(
            "takes",
            # Each take's review decisions and comments: two more queries, not two per take.
            queryset=Take.objects.order_by("take_number").prefetch_related(
                *take_review_prefetches()
            ),
        )
    )


def storyboard_changed(response: HttpResponse) -> HttpResponse:
    """Tell the page to fetch live changes now: renumbered shots, the new order."""
    return trigger_client_event(response, "storyboard-changed")


def shot_card(request: HttpRequest, shot: Shot) -> TemplateResponse:
    """The whole card, its takes included, drawn afresh."""
    return shot_part(request, storyboard_shots(Shot.all_objects.filter(pk=shot.pk)).get(), "shot")


def shot_part(request: HttpRequest, shot: Shot, partial: str, **extra) -> TemplateResponse:
    context = {"shot": shot, "storyboard": shot.storyboard, "can_edit": True, **extra}
    return TemplateResponse(request, f"{SESSION_TEMPLATE}#{partial}", context)


def storyboard_refused(
    request: HtmxHttpRequest,
    storyboard: Storyboard,
    error: ValidationError,
    *,
    where: str = "#storyboard-alert",
) -> HttpResponse:
    """A refused change on a storyboard; the page also fetches the news, since a refusal often
    means someone else changed it meanwhile."""
    back = reverse("storyboard_detail", args=[storyboard.uuid])
    return storyboard_changed(refused(request, error, where, back))


def takes_in_progress(shots) -> int:
    return sum(take.is_active for shot in shots for take in shot.takes.all())


def live_token(now: datetime) -> str:
    return f"{now.timestamp():.6f}"


# Board or List, as the user last chose, kept in their session (so it follows the login, and
# costs no query: the session is read for the login anyway).
VIEW_KEY = "storyboard_view"
VIEWS = ("board", "list")


def board_view(request: HttpRequest) -> bool:
    """Is this user's storyboard page the board? ?view= chooses, and is remembered."""
    chosen = request.GET.get("view")
    if chosen in VIEWS and request.session.get(VIEW_KEY) != chosen:
        request.session[VIEW_KEY] = chosen
    return request.session.get(VIEW_KEY) == "board"


def storyboard_page(
    request: HttpRequest,
    storyboard: Storyboard,
    shot_form: ShotForm,
    edit: dict | None = None,
    *,
    open_uuid: UUID | None = None,
) -> TemplateResponse:
    """The whole page. `edit` opens one shot's edit form in place (a link from elsewhere, or a
    form that came back with errors or a conflict when JavaScript is off); on the board, in
    the drawer, as does `open_uuid` (a frame's link without JavaScript)."""
    shots = storyboard_shots(storyboard.shots.all())
    now = timezone.now()
    board = board_view(request)
    wanted = open_uuid or (edit or {}).get("uuid")
    context = {
        "board": board,
        # Picked from the shots the page draws anyway: no query of its own.
        "open_shot": next((shot for shot in shots if shot.uuid == wanted), None) if board else None,
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
