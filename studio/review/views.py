"""Review views. Team members reach takes, playlists and links through their teams (an
outsider gets 404; a role that may not gets 403). Guests reach one storyboard or playlist
through a share link's token, and everything they ask for is checked to be under it."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from studio.access import get_playlist, get_storyboard, get_take
from studio.htmx import AuthenticatedHttpRequest, HtmxHttpRequest, refused
from studio.playlists.models import Playlist
from studio.projects.models import Storyboard
from studio.spreadsheet import csv_response
from studio.teams.models import Action
from studio.teams.services import membership_in, require_action

from . import report, services
from .answers import (
    comment_fields,
    playlist_back,
    playlist_review_answer,
    take_back,
    take_review_answer,
)
from .forms import annotation_field
from .models import Comment, ShareLink

SHARE = "review/share.html"

# Takes


@login_required
@require_GET
@vary_on_headers("HX-Request")
def take_review(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """A take card's review block, fetched when the card's review is opened (the card is
    drawn with it closed), or as a page of its own without JavaScript."""
    take = get_take(request, uuid)
    membership = membership_in(request, take.shot.storyboard.project.team)
    return take_review_answer(request, take, membership, page=not request.htmx)


@login_required
@require_POST
def take_decide(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    take = get_take(request, uuid)
    membership = membership_in(request, take.shot.storyboard.project.team)
    try:
        services.review_decide(target=take, state=request.POST.get("state", ""), user=request.user)
    except ValidationError as error:
        return refused(request, error, f"#take-{take.uuid}-review-alert", take_back(take))
    return take_review_answer(request, take, membership)


@login_required
@require_POST
def take_comment(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    take = get_take(request, uuid)
    membership = membership_in(request, take.shot.storyboard.project.team)
    try:
        body, at_seconds = comment_fields(request)
        services.comment_add(
            target=take,
            body=body,
            at_seconds=at_seconds,
            annotation=annotation_field(request.POST),
            user=request.user,
        )
    except ValidationError as error:
        return refused(request, error, f"#take-{take.uuid}-review-alert", take_back(take))
    return take_review_answer(request, take, membership)


@login_required
@require_POST
def comment_resolve(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    comment = get_object_or_404(
        Comment.objects.for_user(request.user).select_related(
            "take__shot__storyboard__project__team", "playlist__project__team", "author"
        ),
        uuid=uuid,
    )
    services.comment_resolve(
        user=request.user, comment=comment, resolved=request.POST.get("resolved") != "0"
    )
    if comment.take_id:
        take = comment.take
        return take_review_answer(
            request, take, membership_in(request, take.shot.storyboard.project.team)
        )
    return playlist_review_answer(request, comment.playlist, can_review=True)


# Playlists


@login_required
@require_POST
def playlist_decide(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    playlist = get_playlist(request, uuid)
    try:
        services.review_decide(
            target=playlist, state=request.POST.get("state", ""), user=request.user
        )
    except ValidationError as error:
        return refused(request, error, "#playlist-review-alert", playlist_back(playlist))
    return playlist_review_answer(request, playlist, can_review=True)


@login_required
@require_POST
def playlist_comment(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    playlist = get_playlist(request, uuid)
    try:
        body, at_seconds = comment_fields(request)
        services.comment_add(target=playlist, body=body, at_seconds=at_seconds, user=request.user)
    except ValidationError as error:
        return refused(request, error, "#playlist-review-alert", playlist_back(playlist))
    return playlist_review_answer(request, playlist, can_review=True)


@login_required
@require_GET
def playlist_review(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    """The review summary: every item's take state, open comments, who still has to decide."""
    playlist = get_playlist(request, uuid)
    items = list(
        playlist.items.select_related("take__shot").prefetch_related(
            *services.take_review_prefetches("take__")
        )
    )
    review = services.review_of(playlist)
    rows = [(item, services.review_of(item.take)) for item in items]
    context = {
        "project": playlist.project,
        "playlist": playlist,
        "review": review,
        "rows": rows,
        "open_take_comments": sum(len(r.open_comments) for _, r in rows),
        "pending": services.playlist_pending_deciders(playlist, review),
    }
    return TemplateResponse(request, "review/playlist_summary.html", context)


# Share links, for the team


def share_page(request: HtmxHttpRequest, target: Storyboard | Playlist, **extra) -> HttpResponse:
    context = {
        "project": target.project,
        "share_target": target,
        "share_links": list(target.share_links.select_related("created_by")),
        **extra,
    }
    partial = "#links" if request.htmx else ""
    return TemplateResponse(request, f"{SHARE}{partial}", context)


def share_create(request: HtmxHttpRequest, target: Storyboard | Playlist) -> HttpResponse:
    try:
        days = int(request.POST.get("days", ""))
    except ValueError:
        days = 0
    error = None
    try:
        services.share_link_create(user=request.user, target=target, days=days)
    except ValidationError as refusal:
        error = refusal
    if not request.htmx and error is None:
        return redirect(request.path)
    return share_page(request, target, share_error=error and " ".join(error.messages))


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def storyboard_share(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    storyboard = get_object_or_404(
        Storyboard.objects.for_user(request.user).select_related("project__team"), uuid=uuid
    )
    if request.method == "POST":
        return share_create(request, storyboard)  # the service checks the role
    require_action(user=request.user, team=storyboard.project.team, action=Action.EDIT)
    return share_page(request, storyboard)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def playlist_share(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    playlist = get_playlist(request, uuid)
    if request.method == "POST":
        return share_create(request, playlist)  # the service checks the role
    require_action(user=request.user, team=playlist.project.team, action=Action.EDIT)
    return share_page(request, playlist)


@login_required
@require_POST
def share_link_revoke(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    link = get_object_or_404(
        ShareLink.objects.for_user(request.user).select_related(
            "storyboard__project__team", "playlist__project__team"
        ),
        uuid=uuid,
    )
    services.share_link_revoke(user=request.user, link=link)
    if not request.htmx:
        name = "playlist_share" if link.playlist_id else "storyboard_share"
        return redirect(name, uuid=link.target.uuid)
    return share_page(request, link.target)


# The review report: viewers and up read it (the access helpers 404 everyone else).


def report_answer(
    request: HttpRequest, target: Storyboard | Playlist, sections: list, as_csv: bool
) -> HttpResponse:
    if as_csv:
        name = slugify(str(target)) or "review"
        return csv_response(report.report_csv(sections), f"{name}-review-report.csv")
    context = {
        "project": target.project,
        "target": target,
        "sections": sections,
        "made_at": timezone.now(),
    }
    return TemplateResponse(request, "review/report.html", context)


@login_required
@require_GET
def playlist_review_report(request: AuthenticatedHttpRequest, uuid, as_csv=False) -> HttpResponse:
    playlist = get_playlist(request, uuid)
    return report_answer(request, playlist, report.playlist_sections(playlist), as_csv)


@login_required
@require_GET
def storyboard_review_report(request: AuthenticatedHttpRequest, uuid, as_csv=False) -> HttpResponse:
    storyboard = get_storyboard(request, uuid)
    return report_answer(request, storyboard, report.storyboard_sections(storyboard), as_csv)
