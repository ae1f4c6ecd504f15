"""The storyboard page's shared answers: a shot card drawn afresh, the nudge that makes the page
fetch live changes, a refused change. The board's views and the generation views answer with
these."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django_htmx.http import trigger_client_event

from studio.generation.models import Clip
from studio.htmx import HtmxHttpRequest, refused
from studio.review.services import take_review_prefetches

from .models import Shot, Storyboard

SESSION_TEMPLATE = "projects/storyboard_detail.html"


def storyboard_shots(shots: QuerySet[Shot]) -> QuerySet[Shot]:
    """Shots with their model and takes in three queries, however many there are: the page
    and the live updates draw shot cards from this one query."""
    return shots.select_related("video_model").prefetch_related(
        Prefetch(
            "takes",
            # Each take's review decisions and comments: two more queries, not two per take.
            queryset=Clip.objects.order_by("take_number").prefetch_related(
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
