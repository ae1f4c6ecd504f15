"""A playlist's name, placement and target length: chosen when it is made, changed on its page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from studio.access import get_playlist, get_project
from studio.htmx import AuthenticatedHttpRequest
from studio.teams.models import Action
from studio.teams.services import require_action

from . import services
from .forms import PlaylistForm, settings_form
from .playlist_settings import playlist_update

FORM_PAGE = "playlists/playlist_form.html"


def chosen(form: PlaylistForm) -> dict:
    """What a new playlist, or a changed one, is to be: its name, placement and target."""
    fields = ("name", "platform", "target_seconds", "aspect_ratio")
    return {field: form.cleaned_data[field] for field in fields}


@login_required
@require_http_methods(["GET", "POST"])
def playlist_create(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    project = get_project(request, uuid)
    form = PlaylistForm(request.POST or None)
    if form.is_valid():
        try:
            playlist = services.playlist_create(  # the service checks the role
                user=request.user, project=project, **chosen(form)
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("playlist_detail", uuid=playlist.uuid)
    # The form page (blank, or with its errors) is for those who may send it.
    require_action(user=request.user, team=project.team, action=Action.EDIT)
    return TemplateResponse(request, FORM_PAGE, {"form": form, "project": project})


@login_required
@require_http_methods(["GET", "POST"])
def playlist_settings(request: AuthenticatedHttpRequest, uuid) -> HttpResponse:
    """Rename, or change the placement and target: the page comes back whole, since the
    heading, the preview's frame and the timeline's target mark all follow."""
    playlist = get_playlist(request, uuid)
    form = settings_form(playlist, request.POST or None)
    if form.is_valid():
        try:
            playlist = playlist_update(  # it checks the role
                user=request.user, playlist=playlist, **chosen(form)
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved: {playlist.name}.")
            back = reverse("playlist_detail", args=[playlist.uuid])
            return HttpResponseClientRedirect(back) if request.htmx else redirect(back)
    require_action(user=request.user, team=playlist.project.team, action=Action.EDIT)
    if request.htmx:
        context = {"playlist": playlist, "settings_form": form, "can_edit": True}
        return TemplateResponse(request, "playlists/playlist_detail.html#settings", context)
    context = {"form": form, "project": playlist.project, "playlist": playlist}
    return TemplateResponse(request, FORM_PAGE, context)
