"""One helper per object type that a view reaches by its public UUID: the object scoped to the
user's teams, 404 for anyone else (an outsider learns nothing, not even that it exists). Every
app's views use these, so that no app imports another app's views."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from studio.deliveries.models import Delivery
from studio.generation.models import Take
from studio.playlists.models import Playlist, PlaylistItem
from studio.projects.models import Project, Shot, Storyboard

# What generating a take of a shot reads: its budget's project, its team, its model.
SHOT_CONTEXT = ("storyboard__project__team", "video_model")


def get_project(request: HttpRequest, uuid) -> Project:
    return get_object_or_404(
        Project.objects.for_user(request.user).select_related("team"), uuid=uuid
    )


def get_storyboard(request: HttpRequest, uuid) -> Storyboard:
    """With the user's role on its team (`member_role`): the live poll's drawing is chosen by
    it, 67 times a second on a board of 200 members, without a query of its own."""
    return get_object_or_404(
        Storyboard.objects.with_role(request.user).select_related("project__team"), uuid=uuid
    )


def get_shot(request: HttpRequest, uuid, *, deleted: bool = False) -> Shot:
    shots = Shot.all_objects if deleted else Shot.objects
    return get_object_or_404(
        shots.for_user(request.user).select_related("storyboard__project__team", "video_model"),
        uuid=uuid,
    )


def get_take(request: HttpRequest, uuid) -> Take:
    related = [f"shot__{path}" for path in SHOT_CONTEXT]
    return get_object_or_404(
        Take.objects.for_user(request.user).select_related(*related), uuid=uuid
    )


def get_playlist(request: HttpRequest, uuid) -> Playlist:
    return get_object_or_404(
        Playlist.objects.for_user(request.user).select_related("project__team"), uuid=uuid
    )


def get_item(request: HttpRequest, uuid) -> PlaylistItem:
    return get_object_or_404(
        PlaylistItem.objects.for_user(request.user).select_related(
            "playlist__project__team", "take"
        ),
        uuid=uuid,
    )


def get_delivery(request: HttpRequest, uuid) -> Delivery:
    """With its ad's project and who started it (the delivery's page says so)."""
    return get_object_or_404(
        Delivery.objects.for_user(request.user).select_related("ad__project__team", "created_by"),
        uuid=uuid,
    )
