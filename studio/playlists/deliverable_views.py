"""The playlist page's deliverables: making them from an ad, and the item settings they are
made from (framing and crop centre, the keep mark). Views like views.py's, kept apart so that
neither module grows past a reader's reach; they answer with the page's own fragments."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from studio.access import get_item, get_playlist
from studio.htmx import AuthenticatedHttpRequest
from studio.teams.models import Action
from studio.teams.services import user_can

from . import deliverables, services
from .forms import DeliverablesForm, FramingForm, form_errors
from .preview import playlist_items
from .views import PAGE, _apply, deliverables_context, playlist_refused


@login_required
@require_POST
def playlist_deliverables(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """Make deliverables of an ad: answers with the panel, listing what was made."""
    playlist = get_playlist(request, uuid)
    form = DeliverablesForm(request.POST)
    try:
        if not form.is_valid():
            raise form_errors(form)
        made = deliverables.deliverables_make(  # the service checks the role
            user=request.user,
            playlist=playlist,
            platforms=form.cleaned_data["placements"],
            lengths=form.cleaned_data["lengths"],
        )
    except ValidationError as error:
        return playlist_refused(request, playlist, error)
    count = len(made.playlists)
    notice = " ".join([f"Made {count} deliverable{pluralize(count)}.", *made.skipped])
    if not request.htmx:
        messages.success(request, notice)
        return redirect(reverse("playlist_detail", args=[playlist.uuid]) + "#deliverables")
    context = {"playlist": playlist, "can_edit": True, "deliverables_notice": notice}
    context |= deliverables_context(playlist, playlist_items(playlist))
    return TemplateResponse(request, f"{PAGE}#deliverables", context)


@login_required
@require_GET
def playlist_deliverables_panel(request: AuthenticatedHttpRequest, uuid) -> TemplateResponse:
    """The panel again, for the page to swap in when the playlist changes (a keep mark, a
    trim, a reorder, a removal, the end card): what each shorter cut would keep follows. The
    boxes ticked before (sent along) stay ticked. A deliverable has no panel."""
    playlist = get_playlist(request, uuid)
    if playlist.source_id is not None:
        raise Http404("A deliverable has no Deliverables panel.")
    context = {
        "playlist": playlist,
        "can_edit": user_can(request, playlist.project.team, Action.EDIT),
        "placements_ticked": request.GET.getlist("placements"),
        "lengths_ticked": request.GET.getlist("lengths"),
    }
    context |= deliverables_context(playlist, playlist_items(playlist))
    return TemplateResponse(request, f"{PAGE}#deliverables", context)


@login_required
@require_POST
def item_frame(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """How a take of another ratio fills the frame, and the crop's centre."""
    item = get_item(request, uuid)
    form = FramingForm(request.POST)

    def frame():
        if not form.is_valid():
            raise form_errors(form)
        services.playlist_item_frame(user=request.user, item=item, **form.cleaned_data)

    return _apply(request, item.playlist, frame)


@login_required
@require_POST
def item_keep(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """Keep the item whole in shorter cuts, or let it go."""
    item = get_item(request, uuid)
    keep = request.POST.get("keep") == "on"
    return _apply(
        request,
        item.playlist,
        lambda: services.playlist_item_keep(user=request.user, item=item, keep=keep),
    )
