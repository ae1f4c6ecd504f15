"""The role walk: every URL, with every role and an outsider. What a role may not do answers
403 and changes nothing; an outsider gets 404; everything else works."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from studio.generation.models import Clip, ClipStatus
from studio.playlists.models import Export, Playlist, PlaylistItem
from studio.projects.models import Project, Shot, Storyboard
from studio.teams.models import ROLE_ACTIONS, Action
from tests.playlists.conftest import make_take

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(studio):
    take = make_take(studio.shot)
    take.video.save("take.mp4", ContentFile(b"\x00" * 64))
    failed = make_take(studio.shot, 2, status=ClipStatus.FAILED)
    playlist = Playlist.objects.create(project=studio.project, name="Cut", target_seconds=6)
    item = PlaylistItem.objects.create(playlist=playlist, clip=take, position=1)
    export = Export.objects.create(playlist=playlist, version=1, file_name="cut_v1.mp4")
    # Sections below each add the objects their routes need (teams, review, activity, sessions).
    extra: dict = {}
    # -- teams objects
    # -- review objects
    # -- session objects
    return extra | {
        "project": studio.project.uuid,
        "storyboard": studio.storyboard.uuid,
        "shot": studio.shot.uuid,
        "take": take.uuid,
        "failed": failed.uuid,
        "playlist": playlist.uuid,
        "item": item.uuid,
        "export": export.uuid,
    }


# (method, url name, which object, what the role must be allowed to do, form data)
ROUTES = [
    ("get", "project_detail", "project", Action.VIEW, None),
    ("get", "storyboard_create", "project", Action.EDIT, None),
    ("post", "storyboard_create", "project", Action.EDIT, {"title": "Alt"}),
    ("get", "storyboard_detail", "storyboard", Action.VIEW, None),
    ("get", "shot_form", "storyboard", Action.VIEW, None),
    ("get", "shot_estimate", "storyboard", Action.VIEW, None),
    ("get", "storyboard_live", "storyboard", Action.VIEW, None),
    ("post", "shot_create", "storyboard", Action.EDIT, "shot"),
    ("post", "shot_generate", "shot", Action.GENERATE, None),
    ("post", "batch_confirm", "storyboard", Action.GENERATE, {"scope": "all"}),
    ("post", "batch_generate", "storyboard", Action.GENERATE, {"scope": "all"}),
    ("post", "take_retry", "failed", Action.GENERATE, None),
    ("post", "take_select", "take", Action.EDIT, None),
    ("get", "take_video", "take", Action.VIEW, None),
    ("get", "playlist_create", "project", Action.EDIT, None),
    ("get", "playlist_detail", "playlist", Action.VIEW, None),
    ("get", "playlist_summary", "playlist", Action.VIEW, None),
    ("get", "playlist_exports", "playlist", Action.VIEW, None),
    ("post", "playlist_add", "playlist", Action.EDIT, "take"),
    ("post", "playlist_reorder", "playlist", Action.EDIT, "order"),
    ("post", "playlist_duplicate", "playlist", Action.EDIT, None),
    ("post", "playlist_item_move", "item", Action.EDIT, {"direction": "down"}),
    ("post", "playlist_item_trim", "item", Action.EDIT, {"trim_in": "1"}),
    ("post", "playlist_item_remove", "item", Action.EDIT, None),
    ("get", "export_manifest", "export", Action.VIEW, None),
    # -- teams routes
    # -- review routes
    # -- activity routes
    # -- session routes
]


def snapshot() -> tuple:
    return (
        Project.objects.count(),
        Storyboard.objects.count(),
        list(Shot.objects.values_list("pk", "prompt", "selected_take")),
        list(Clip.objects.values_list("pk", "status")),
        list(PlaylistItem.objects.values_list("pk", "position", "trim_in")),
        Playlist.objects.count(),
        # -- snapshot of later sections
    )


def form_data(kind, studio, world):
    if kind == "shot":
        return {
            "video_model": studio.veo.pk,
            "prompt": "New",
            "duration": 4,
            "aspect_ratio": "16:9",
        }
    if kind == "take":
        return {"take": world["take"]}
    if kind == "order":
        return {"item": [world["item"]]}
    return kind or {}


@pytest.mark.parametrize("role", ["owner", "editor", "reviewer", "viewer", "outsider"])
def test_every_url_with_every_role(client, studio, world, role):
    user = {
        "owner": studio.alice,
        "editor": studio.bob,
        "reviewer": studio.rita,
        "viewer": studio.vera,
        "outsider": studio.oscar,
    }[role]
    client.force_login(user)
    for method, name, target, action, data in ROUTES:
        url = reverse(name, args=[world[target]])
        before = snapshot()
        response = getattr(client, method)(
            url, form_data(data, studio, world), HTTP_HX_REQUEST="true"
        )
        where = f"{role} {method.upper()} {name}"
        if role == "outsider":
            assert response.status_code == 404, where
            assert snapshot() == before, where
        elif action in ROLE_ACTIONS[role]:
            assert response.status_code in (200, 204, 206, 302), where
        else:
            assert response.status_code == 403, where
            assert snapshot() == before, where
