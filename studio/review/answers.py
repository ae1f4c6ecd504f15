"""The review block's answers, shared by the team's and the guests' review views: a take's or
a playlist's review redrawn after a change, and a comment form's fields."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from studio.generation.models import Take
from studio.htmx import HtmxHttpRequest
from studio.playlists.models import Playlist
from studio.teams.models import Action, Membership

from . import services
from .forms import CommentForm

TAKE_REVIEW = "review/take_review.html"
TAKE_REVIEW_PAGE = "review/take_review_page.html"
PLAYLIST_REVIEW = "review/playlist_review.html"


def allows(membership: Membership | None, action: str) -> bool:
    return membership is not None and membership.allows(action)


def take_review_answer(
    request: HtmxHttpRequest, take: Take, membership: Membership | None, *, page: bool = False
) -> HttpResponse:
    """The take's review block, for htmx, with the state in its card's closed review sent out
    of band (the card itself is not redrawn while it is in use); as a `page` of its own, what
    a closed review's link opens without JavaScript, and where a change sent without
    JavaScript comes back to (its forms are there: the board does not show the take)."""
    if not request.htmx and not page:
        return redirect(take_back(take))
    if not hasattr(take, "prefetched_decisions"):
        prefetch_related_objects([take], *services.take_review_prefetches())
    context = {
        "take": take,
        "storyboard": take.shot.storyboard,
        "can_review": allows(membership, Action.REVIEW),
        "can_edit": allows(membership, Action.EDIT),
        "fold_state": not page,
    }
    return TemplateResponse(request, TAKE_REVIEW_PAGE if page else TAKE_REVIEW, context)


def playlist_review_answer(request: HtmxHttpRequest, playlist: Playlist, **extra) -> HttpResponse:
    if not request.htmx:
        return redirect(f"{reverse('playlist_detail', args=[playlist.uuid])}#playlist-review")
    context = {"playlist": playlist, "review": services.review_of(playlist), **extra}
    return TemplateResponse(request, PLAYLIST_REVIEW, context)


def take_back(take: Take) -> str:
    """Where a change to a take's review sent without JavaScript comes back to: the take's
    review page, where its forms are."""
    return reverse("take_review", args=[take.uuid])


def playlist_back(playlist: Playlist) -> str:
    return f"{reverse('playlist_detail', args=[playlist.uuid])}#playlist-review"


def comment_fields(request: HttpRequest) -> tuple[str, Decimal | None]:
    form = CommentForm(request.POST)
    if not form.is_valid():
        raise ValidationError(list(form.non_field_errors()) or "Check the comment and try again.")
    return form.cleaned_data["body"], form.cleaned_data["at_seconds"]
