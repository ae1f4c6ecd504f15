"""Review views for guests: everything goes through a share link's token, and everything asked
for is checked to be under that link (a storyboard's takes, or one playlist)."""

import functools

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from studio.brands.media import logo_response
from studio.generation.media import take_media
from studio.generation.models import Take, TakeStatus
from studio.htmx import HtmxHttpRequest, parse_uuid, refused
from studio.playlists.models import Export, ExportStatus
from studio.playlists.preview import playlist_items, preview_items
from studio.projects.models import visible_shots
from studio.ranges import ranged_file_response

from . import services
from .answers import (
    PLAYLIST_REVIEW,
    TAKE_REVIEW,
    comment_fields,
)
from .forms import annotation_field
from .models import ShareLink
from .services import Guest

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


def _shared_take(link: ShareLink, uuid) -> Take:
    """A take under the link: one of its storyboard's, or one of its playlist's items."""
    takes = Take.objects.select_related("shot__storyboard__project__team")
    if link.storyboard_id:  # the storyboard as the team sees it: no deleted shot's takes
        takes = takes.filter(visible_shots("shot__"), shot__storyboard_id=link.storyboard_id)
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
    takes = Take.objects.filter(status=TakeStatus.COMPLETED).order_by("take_number")
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
        items,
        video_url=lambda take: reverse("share_take_video", args=[token, take.uuid]),
        logo_url=lambda kit: reverse("share_logo", args=[token]),
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
    if isinstance(target, Take):
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
    if isinstance(target, Take):
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
        body, at_seconds = comment_fields(request)
        services.comment_add(
            target=target,
            body=body,
            at_seconds=at_seconds,
            annotation=annotation_field(request.POST),
            guest=guest,
        )
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
def share_logo(request: HttpRequest, link: ShareLink, token: str) -> HttpResponseBase:
    """The brand kit's logo of a shared playlist, for its end card in the preview."""
    if link.playlist is None:
        raise Http404("This link shares no playlist.")
    return logo_response(link.playlist.project.brand_kit)


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
