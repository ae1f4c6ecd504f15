"""Review views. Team members reach takes, playlists and links through their teams (an
outsider gets 404; a role that may not gets 403). Guests reach one storyboard or playlist
through a share link's token, and everything they ask for is checked to be under it."""

import functools
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from studio.access import get_clip, get_playlist
from studio.generation.media import take_media
from studio.generation.models import Clip, ClipStatus
from studio.htmx import AuthenticatedHttpRequest, HtmxHttpRequest, parse_uuid, refused
from studio.playlists.models import Export, ExportStatus, Playlist
from studio.playlists.preview import playlist_items, preview_items
from studio.projects.models import Storyboard
from studio.ranges import ranged_file_response
from studio.teams.models import Action, Membership
from studio.teams.services import membership_in, require_action

from . import services
from .forms import CommentForm
from .models import Comment, ShareLink
from .services import Guest

TAKE_REVIEW = "review/take_review.html"
PLAYLIST_REVIEW = "review/playlist_review.html"
SHARE = "review/share.html"


# Looking things up for team members


def _allows(membership: Membership | None, action: str) -> bool:
    return membership is not None and membership.allows(action)


def take_review_answer(
    request: HtmxHttpRequest, take: Clip, membership: Membership | None
) -> HttpResponse:
    if not request.htmx:
        storyboard = take.shot.storyboard
        return redirect(f"{reverse('storyboard_detail', args=[storyboard.uuid])}#take-{take.uuid}")
    if not hasattr(take, "prefetched_decisions"):
        prefetch_related_objects([take], *services.take_review_prefetches())
    context = {
        "take": take,
        "storyboard": take.shot.storyboard,
        "can_review": _allows(membership, Action.REVIEW),
        "can_edit": _allows(membership, Action.EDIT),
    }
    return TemplateResponse(request, TAKE_REVIEW, context)


def playlist_review_answer(request: HtmxHttpRequest, playlist: Playlist, **extra) -> HttpResponse:
    if not request.htmx:
        return redirect(f"{reverse('playlist_detail', args=[playlist.uuid])}#playlist-review")
    context = {"playlist": playlist, "review": services.review_of(playlist), **extra}
    return TemplateResponse(request, PLAYLIST_REVIEW, context)


def _take_back(take: Clip) -> str:
    return f"{reverse('storyboard_detail', args=[take.shot.storyboard.uuid])}#take-{take.uuid}"


def _playlist_back(playlist: Playlist) -> str:
    return f"{reverse('playlist_detail', args=[playlist.uuid])}#playlist-review"


def _comment_fields(request: HttpRequest) -> tuple[str, Decimal | None]:
    form = CommentForm(request.POST)
    if not form.is_valid():
        raise ValidationError(list(form.non_field_errors()) or "Check the comment and try again.")
    return form.cleaned_data["body"], form.cleaned_data["at_seconds"]


# Takes


@login_required
@require_GET
@vary_on_headers("HX-Request")
def take_review(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """A take card's review block, for cards drawn without it (after a live update)."""
    take = get_clip(request, uuid)
    membership = membership_in(request, take.shot.storyboard.project.team)
    return take_review_answer(request, take, membership)


@login_required
@require_POST
def take_decide(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    take = get_clip(request, uuid)
    membership = membership_in(request, take.shot.storyboard.project.team)
    try:
        services.review_decide(target=take, state=request.POST.get("state", ""), user=request.user)
    except ValidationError as error:
        return refused(request, error, f"#take-{take.uuid}-review-alert", _take_back(take))
    return take_review_answer(request, take, membership)


@login_required
@require_POST
def take_comment(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    take = get_clip(request, uuid)
    membership = membership_in(request, take.shot.storyboard.project.team)
    try:
        body, at_seconds = _comment_fields(request)
        services.comment_add(target=take, body=body, at_seconds=at_seconds, user=request.user)
    except ValidationError as error:
        return refused(request, error, f"#take-{take.uuid}-review-alert", _take_back(take))
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
        return refused(request, error, "#playlist-review-alert", _playlist_back(playlist))
    return playlist_review_answer(request, playlist, can_review=True)


@login_required
@require_POST
def playlist_comment(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    playlist = get_playlist(request, uuid)
    try:
        body, at_seconds = _comment_fields(request)
        services.comment_add(target=playlist, body=body, at_seconds=at_seconds, user=request.user)
    except ValidationError as error:
        return refused(request, error, "#playlist-review-alert", _playlist_back(playlist))
    return playlist_review_answer(request, playlist, can_review=True)


@login_required
@require_GET
def playlist_review(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    """The review summary: every item's take state, open comments, who still has to decide."""
    playlist = get_playlist(request, uuid)
    items = list(
        playlist.items.select_related("clip__shot").prefetch_related(
            *services.take_review_prefetches("clip__")
        )
    )
    review = services.review_of(playlist)
    rows = [(item, services.review_of(item.clip)) for item in items]
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


# Guests, through a share link


def shared(view):
    """Open the link the token stands for, or answer with a page that says why not (404 for
    a token that opens nothing, 410 for an expired or revoked link). Nothing else runs."""

    @functools.wraps(view)
    def wrapper(request: HtmxHttpRequest, token: str, *args, **kwargs) -> HttpResponseBase:
        try:
            link = services.share_link_open(token)
        except services.ShareLinkInvalid:
            return gone(request, 404, "This link does not open anything.")
        except services.ShareLinkGone as why:
            return gone(request, 410, str(why))
        return view(request, link, token, *args, **kwargs)

    return wrapper


def gone(request: HttpRequest, status: int, reason: str) -> TemplateResponse:
    context = {"reason": reason, "status": status}
    return TemplateResponse(request, "review/share_gone.html", context, status=status)


def _name_key(link: ShareLink) -> str:
    return f"share-name:{link.uuid}"


def guest_of(request: HttpRequest, link: ShareLink) -> Guest | None:
    name = request.session.get(_name_key(link))
    return Guest(name=name, link=link) if name else None


def _require_guest(request: HttpRequest, link: ShareLink) -> Guest:
    guest = guest_of(request, link)
    if guest is None:
        raise PermissionDenied("Give your name on the link's page first.")
    return guest


def _shared_take(link: ShareLink, uuid) -> Clip:
    """A take under the link: one of its storyboard's, or one of its playlist's items."""
    takes = Clip.objects.select_related("shot__storyboard__project__team")
    if link.storyboard_id:
        takes = takes.filter(shot__storyboard_id=link.storyboard_id)
    else:
        assert link.playlist_id is not None  # one or the other (a constraint)
        takes = takes.filter(playlist_items__playlist_id=link.playlist_id).distinct()
    return get_object_or_404(takes, uuid=parse_uuid(str(uuid)))


def guest_context(link: ShareLink, token: str, guest: Guest | None) -> dict:
    return {"link": link, "share_token": token, "guest": guest, "project": link.project}


@require_GET
@shared
def share_open(request: HttpRequest, link: ShareLink, token: str) -> TemplateResponse:
    guest = guest_of(request, link)
    context = guest_context(link, token, guest)
    if guest is None:
        return TemplateResponse(request, "review/share_name.html", context)
    if link.playlist_id:
        return share_playlist_page(request, link, context)
    return share_storyboard_page(request, link, context)


def share_storyboard_page(request: HttpRequest, link: ShareLink, context: dict):
    storyboard = link.storyboard
    assert storyboard is not None  # share_open sends a playlist's link elsewhere
    takes = Clip.objects.filter(status=ClipStatus.COMPLETED).order_by("take_number")
    shots = storyboard.shots.prefetch_related(
        Prefetch("takes", queryset=takes.prefetch_related(*services.take_review_prefetches()))
    )
    context |= {"storyboard": storyboard, "shots": shots}
    return TemplateResponse(request, "review/share_storyboard.html", context)


def share_playlist_page(request: HttpRequest, link: ShareLink, context: dict):
    token = context["share_token"]
    playlist = link.playlist
    assert playlist is not None  # share_open sends a storyboard's link elsewhere
    items = playlist_items(playlist)
    preview = preview_items(
        items, video_url=lambda clip: reverse("share_take_video", args=[token, clip.uuid])
    )
    export = playlist.exports.filter(status=ExportStatus.DONE).first()
    context |= {
        "playlist": playlist,
        "items": items,
        "preview": preview,
        "export": export,
        "review": services.review_of(playlist),
    }
    return TemplateResponse(request, "review/share_playlist.html", context)


@require_POST
@shared
def share_name(request: HttpRequest, link: ShareLink, token: str) -> HttpResponse:
    try:
        name = services.guest_name_clean(request.POST.get("name", ""))
    except ValidationError as error:
        context = guest_context(link, token, None) | {
            "name_error": error.messages[0],
            "name": request.POST.get("name", ""),
        }
        return TemplateResponse(request, "review/share_name.html", context)
    request.session[_name_key(link)] = name
    return redirect("share_open", token=token)


def guest_answer(request: HtmxHttpRequest, link: ShareLink, token: str, target) -> HttpResponse:
    back = reverse("share_open", args=[token])
    if not request.htmx:
        return redirect(back)
    context = guest_context(link, token, guest_of(request, link))
    if isinstance(target, Clip):
        prefetch_related_objects([target], *services.take_review_prefetches())
        return TemplateResponse(request, TAKE_REVIEW, context | {"take": target})
    context |= {"playlist": target, "review": services.review_of(target)}
    return TemplateResponse(request, PLAYLIST_REVIEW, context)


def _guest_target(request: HttpRequest, link: ShareLink):
    """What a guest acts on: the shared playlist, or a take of the shared storyboard."""
    if link.playlist_id:
        return link.playlist
    return _shared_take(link, request.POST.get("take"))


def _alert_target(target) -> str:
    if isinstance(target, Clip):
        return f"#take-{target.uuid}-review-alert"
    return "#playlist-review-alert"


@require_POST
@shared
def share_decide(request: HtmxHttpRequest, link: ShareLink, token: str) -> HttpResponse:
    guest = _require_guest(request, link)
    target = _guest_target(request, link)
    try:
        services.review_decide(target=target, state=request.POST.get("state", ""), guest=guest)
    except ValidationError as error:
        back = reverse("share_open", args=[token])
        return refused(request, error, _alert_target(target), back)
    return guest_answer(request, link, token, target)


@require_POST
@shared
def share_comment(request: HtmxHttpRequest, link: ShareLink, token: str) -> HttpResponse:
    guest = _require_guest(request, link)
    target = _guest_target(request, link)
    try:
        body, at_seconds = _comment_fields(request)
        services.comment_add(target=target, body=body, at_seconds=at_seconds, guest=guest)
    except ValidationError as error:
        back = reverse("share_open", args=[token])
        return refused(request, error, _alert_target(target), back)
    return guest_answer(request, link, token, target)


@require_GET
@shared
def share_take_video(request: HttpRequest, link: ShareLink, token: str, uuid) -> HttpResponseBase:
    return take_media(request, _shared_take(link, uuid), "video")


@require_GET
@shared
def share_take_poster(request: HttpRequest, link: ShareLink, token: str, uuid) -> HttpResponseBase:
    return take_media(request, _shared_take(link, uuid), "poster")


@require_GET
@shared
def share_export_video(request: HttpRequest, link: ShareLink, token: str, uuid) -> HttpResponseBase:
    if not link.playlist_id:
        raise Http404("This link shares no playlist.")
    export = get_object_or_404(
        Export.objects.filter(playlist_id=link.playlist_id, status=ExportStatus.DONE), uuid=uuid
    )
    if not export.video:
        raise Http404("This export has no video.")
    return ranged_file_response(request, export.video, content_type="video/mp4")
