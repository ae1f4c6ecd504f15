import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from studio.access import get_item, get_playlist
from studio.generation.models import Take, TakeStatus
from studio.htmx import AuthenticatedHttpRequest, HtmxHttpRequest, parse_id, parse_uuid, refused
from studio.projects.models import Storyboard, visible_shots
from studio.ranges import ranged_file_response
from studio.review.approved import playlist_add_storyboard
from studio.review.services import playlist_reviews, review_of
from studio.teams.models import Action
from studio.teams.services import user_can

from . import deliverables, music, services, summary
from .forms import FinishingForm, ItemFinishForm, MusicForm, TrimForm, form_errors, settings_form
from .models import (
    CAPTION_MAX_LENGTH,
    CROSSFADE_MAX_SECONDS,
    CROSSFADE_MIN_SECONDS,
    CTA_TEXT_MAX_LENGTH,
    CTA_URL_MAX_LENGTH,
    Export,
    Framing,
    Loudness,
    Playlist,
    PlaylistItem,
)
from .placements import PLACEMENT_LABELS, PLACEMENTS
from .preview import playlist_items, preview_items

PAGE = "playlists/playlist_detail.html"


def item_context(playlist: Playlist) -> dict:
    items = playlist_items(playlist)
    return {
        "playlist": playlist,
        "items": items,
        "summary": summary.playlist_summary(playlist, items),
        "crossfade_min": CROSSFADE_MIN_SECONDS,
        "crossfade_max": CROSSFADE_MAX_SECONDS,
        "caption_max": CAPTION_MAX_LENGTH,
        "framing_choices": Framing.choices,
    }


def finishing_context(playlist: Playlist) -> dict:
    """The end card and loudness section: the kit is the project's (read once, and kept on
    the project for the summary's end-card length)."""
    return {
        "playlist": playlist,
        "brand_kit": playlist.project.brand_kit,
        "loudness_choices": Loudness.choices,
        "cta_text_max": CTA_TEXT_MAX_LENGTH,
        "cta_url_max": CTA_URL_MAX_LENGTH,
    }


@login_required
@require_GET
def playlist_detail(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    playlist = get_playlist(request, uuid)
    context = item_context(playlist)
    storyboards = playlist.project.storyboards.all()
    takes = (
        Take.objects.filter(
            visible_shots("shot__"),
            shot__storyboard__in=storyboards,
            status=TakeStatus.COMPLETED,
        )
        .select_related("shot__storyboard")
        .order_by("shot__storyboard", "shot__position", "take_number")
    )
    can_edit = user_can(request, playlist.project.team, Action.EDIT)
    context.update(finishing_context(playlist))
    context.update(music.music_context(playlist))
    context.update(
        project=playlist.project,
        storyboards=storyboards,
        takes=takes,
        exports=list(playlist.exports.all()[:10]),
        can_edit=can_edit,
        can_review=user_can(request, playlist.project.team, Action.REVIEW),
        preview=preview_items(context["items"]),
        review=review_of(playlist),
        share_links=list(playlist.share_links.select_related("created_by")) if can_edit else [],
        share_target=playlist,
        settings_form=settings_form(playlist) if can_edit else None,
    )
    context.update(deliverables_context(playlist, context["items"]))
    return TemplateResponse(request, PAGE, context)


def items_changed(request: HttpRequest, playlist: Playlist, notice: str = "") -> HttpResponse:
    """The item list again; the summary and preview follow through the event."""
    context = item_context(playlist) | {"can_edit": True, "notice": notice, "clear_alert": True}
    response = TemplateResponse(request, f"{PAGE}#items", context)
    return trigger_client_event(response, "playlist-changed")


def playlist_refused(
    request: HtmxHttpRequest, playlist: Playlist, error: ValidationError
) -> HttpResponse:
    back = reverse("playlist_detail", args=[playlist.uuid])
    return refused(request, error, "#playlist-alert", back)


def _apply(request: HtmxHttpRequest, playlist: Playlist, change) -> HttpResponse:
    """Make the change; a change may return a notice to show beside the list. A refused one
    tells the summary too: the timeline moved its handle or item before asking, and is drawn
    again from what was saved."""
    try:
        result = change()
    except ValidationError as error:
        return trigger_client_event(playlist_refused(request, playlist, error), "playlist-changed")
    notice = result if isinstance(result, str) else ""
    if not request.htmx:
        if notice:
            messages.success(request, notice)
        return redirect("playlist_detail", uuid=playlist.uuid)
    return items_changed(request, playlist, notice)


def add_storyboard_notice(added: int, skipped: int) -> str:
    notice = f"Added {added} approved take{pluralize(added)}"
    if skipped:
        return f"{notice}; skipped {skipped} shot{pluralize(skipped)} with no approved take."
    return f"{notice}."


@login_required
@require_POST
def playlist_add(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """Add one take, or every shot's approved take of a storyboard, from this project only."""
    playlist = get_playlist(request, uuid)
    if "storyboard" in request.POST:
        storyboard = get_object_or_404(
            Storyboard.objects.for_user(request.user), uuid=parse_uuid(request.POST["storyboard"])
        )

        def add_storyboard() -> str:
            items, skipped = playlist_add_storyboard(
                user=request.user, playlist=playlist, storyboard=storyboard
            )
            return add_storyboard_notice(len(items), skipped)

        return _apply(request, playlist, add_storyboard)
    take = get_object_or_404(
        Take.objects.for_user(request.user).select_related("shot__storyboard"),
        uuid=parse_uuid(request.POST.get("take", "")),
    )
    return _apply(
        request,
        playlist,
        lambda: services.playlist_add_takes(user=request.user, playlist=playlist, takes=[take]),
    )


@login_required
@require_POST
def playlist_reorder(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    playlist = get_playlist(request, uuid)
    order = request.POST.getlist("item")
    return _apply(
        request,
        playlist,
        lambda: services.playlist_reorder(user=request.user, playlist=playlist, item_uuids=order),
    )


@login_required
@require_POST
def item_move(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    item = get_item(request, uuid)
    offset = -1 if request.POST.get("direction") == "up" else 1
    return _apply(
        request,
        item.playlist,
        lambda: services.playlist_move_item(user=request.user, item=item, offset=offset),
    )


@login_required
@require_POST
def item_remove(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    item = get_item(request, uuid)
    return _apply(
        request,
        item.playlist,
        lambda: services.playlist_remove_item(user=request.user, item=item),
    )


@login_required
@require_POST
def item_trim(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    item = get_item(request, uuid)
    form = TrimForm(request.POST)

    def trim():
        if not form.is_valid():
            raise ValidationError(list(form.non_field_errors()))
        services.playlist_trim_item(
            user=request.user,
            item=item,
            trim_in=form.cleaned_data["trim_in"],
            trim_out=form.cleaned_data["trim_out"],
        )

    return _apply(request, item.playlist, trim)


@login_required
@require_POST
def item_finish(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """An item's caption and transition, edited in place like its trim."""
    item = get_item(request, uuid)
    form = ItemFinishForm(request.POST)

    def finish():
        if not form.is_valid():
            raise form_errors(form)
        services.playlist_item_finish(
            user=request.user,
            item=item,
            caption=form.cleaned_data["caption"],
            transition=form.cleaned_data["transition"],
            transition_seconds=form.cleaned_data["transition_seconds"],
        )

    return _apply(request, item.playlist, finish)


@login_required
@require_POST
def playlist_finishing(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """The end card and loudness: answers with the section, and the summary follows."""
    playlist = get_playlist(request, uuid)
    form = FinishingForm(request.POST)
    try:
        if not form.is_valid():
            raise form_errors(form)
        services.playlist_finish(user=request.user, playlist=playlist, **form.cleaned_data)
    except ValidationError as error:
        return playlist_refused(request, playlist, error)
    if not request.htmx:
        messages.success(request, "End card and loudness saved.")
        return redirect("playlist_detail", uuid=playlist.uuid)
    context = finishing_context(playlist) | {"can_edit": True, "finishing_saved": True}
    response = TemplateResponse(request, f"{PAGE}#finishing", context)
    return trigger_client_event(response, "playlist-changed")


@login_required
@require_GET
def playlist_summary(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    playlist = get_playlist(request, uuid)
    context = item_context(playlist)
    context["preview"] = preview_items(context["items"])
    # The timeline's trim handles and dragging, for those who may edit.
    context["can_edit"] = user_can(request, playlist.project.team, Action.EDIT)
    return TemplateResponse(request, f"{PAGE}#summary", context)


@login_required
@require_POST
def playlist_duplicate(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    playlist = get_playlist(request, uuid)
    copy = services.playlist_duplicate(user=request.user, playlist=playlist)
    messages.success(request, f"Duplicated as “{copy.name}”: edit it into a variant.")
    return redirect("playlist_detail", uuid=copy.uuid)


@login_required
@require_POST
def playlist_export(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    playlist = get_playlist(request, uuid)
    try:
        services.export_start(user=request.user, playlist=playlist)
    except ValidationError as error:
        return playlist_refused(request, playlist, error)
    return playlist_exports_answer(request, playlist, clear_alert=True)


@login_required
@require_GET
def playlist_exports(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    return playlist_exports_answer(request, get_playlist(request, uuid))


def playlist_exports_answer(
    request: HtmxHttpRequest, playlist: Playlist, clear_alert: bool = False
) -> HttpResponse:
    """The exports again; an export started also clears what a refused one said (the list's
    polling does not: it would wipe a trim's error a second after it came)."""
    if not request.htmx:
        return redirect("playlist_detail", uuid=playlist.uuid)
    context = {
        "playlist": playlist,
        "exports": list(playlist.exports.all()[:10]),
        "clear_alert": clear_alert,
    }
    return TemplateResponse(request, f"{PAGE}#exports", context)


@login_required
@require_GET
def export_download(request: AuthenticatedHttpRequest, uuid) -> HttpResponseBase:
    export = get_object_or_404(Export.objects.for_user(request.user), uuid=uuid)
    if not export.video:
        return HttpResponse("This export is not ready.", status=404, content_type="text/plain")
    attachment = export.file_name if request.GET.get("download") else None
    return ranged_file_response(
        request, export.video, content_type="video/mp4", attachment=attachment
    )


@login_required
@require_GET
def export_manifest(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    export = get_object_or_404(Export.objects.for_user(request.user), uuid=uuid)
    response = HttpResponse(json.dumps(export.manifest, indent=2), content_type="application/json")
    name = export.file_name.removesuffix(".mp4") + ".json"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# The music bed: its own section of the page (templates/playlists/music.html)

MUSIC = "playlists/music.html"
FORM_ROOM = 64 * 1024  # the form's other fields and the multipart boundaries, beside the file


def music_answer(request: HtmxHttpRequest, playlist: Playlist, notice: str) -> HttpResponse:
    """The section again after a change; without JavaScript, the page with the notice."""
    if not request.htmx:
        messages.success(request, notice)
        return redirect(reverse("playlist_detail", args=[playlist.uuid]) + "#music")
    context = {"playlist": playlist, "can_edit": True, "music_saved": notice}
    return TemplateResponse(request, MUSIC, context | music.music_context(playlist))


def music_refused(request: HtmxHttpRequest, playlist: Playlist, error: ValidationError):
    """Beside the file input, in the form that is left as it was: the file chosen stays
    chosen, and the message names it."""
    back = reverse("playlist_detail", args=[playlist.uuid]) + "#music"
    return refused(request, error, "#music-error", back)


@login_required
@require_POST
def playlist_music(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """A new music bed, its level, or both (the services check the role)."""
    playlist = get_playlist(request, uuid)
    # A body far over the bound is refused before Django reads it (htmx sends the CSRF token
    # in a header, so nothing has read it yet): the service checks the file's own size.
    if (parse_id(request.META.get("CONTENT_LENGTH")) or 0) > music.MUSIC_MAX_BYTES + FORM_ROOM:
        return music_refused(request, playlist, music.too_big("The chosen file"))
    form = MusicForm(request.POST)
    upload = request.FILES.get("music")
    try:
        if not form.is_valid():
            raise form_errors(form)
        gain = form.cleaned_data["music_gain"]
        if upload is not None:
            playlist = music.playlist_music_set(
                user=request.user, playlist=playlist, upload=upload, gain=gain
            )
            notice = f"{playlist.music_name} is the music bed."
        elif gain is not None:
            playlist = music.playlist_music_gain_set(
                user=request.user, playlist=playlist, gain=gain
            )
            notice = f"Music level {gain} dB saved."
        else:
            raise ValidationError("Choose an audio file for the music bed.")
    except ValidationError as error:
        return music_refused(request, playlist, error)
    return music_answer(request, playlist, notice)


@login_required
@require_POST
def playlist_music_remove(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    playlist = get_playlist(request, uuid)
    playlist = music.playlist_music_remove(user=request.user, playlist=playlist)
    return music_answer(request, playlist, "No music: the ad plays its takes' own sound.")


@login_required
@require_GET
def playlist_music_file(request: AuthenticatedHttpRequest, uuid) -> HttpResponseBase:
    """The bed for the page's player and preview, with Range so that they can seek."""
    playlist = get_playlist(request, uuid)
    name = playlist.music.name or ""
    if not name or not playlist.music.storage.exists(name):
        return HttpResponse("This playlist has no music.", status=404, content_type="text/plain")
    content_type = music.music_content_type(name)
    response = ranged_file_response(request, playlist.music, content_type=content_type)
    # Checked as sound, but served as nothing a browser would run or render as a page.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def deliverables_context(playlist: Playlist, items: list[PlaylistItem]) -> dict:
    """An ad's Deliverables panel (a deliverable has none): what each shorter cut would keep,
    from the items already loaded, and the deliverables made (one query)."""
    if playlist.source_id is not None:
        return {"deliverables_panel": False}
    rows = deliverables.deliverable_rows(playlist)
    reviews = playlist_reviews(row.playlist for row in rows)  # one query, when there are rows
    for row in rows:
        row.review_state = reviews[row.playlist.pk].state_label
    # Export all's latest deliveries, once there is something to deliver (one query more).
    deliveries = list(playlist.deliveries.order_by("-created_at")[:3]) if rows else []
    return {
        "deliverables_panel": True,
        "deliverables": rows,
        "deliveries": deliveries,
        "placements": [(p, PLACEMENT_LABELS[p]) for p in PLACEMENTS],
        "cut_lengths": deliverables.cut_previews(playlist, items),
    }
