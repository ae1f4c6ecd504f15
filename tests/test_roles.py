"""The role walk: every URL, with every role and an outsider. What a role may not do answers
403 and changes nothing; an outsider gets 404; everything else works."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from studio.generation.models import Clip, ClipStatus
from studio.playlists.models import Export, Playlist, PlaylistItem
from studio.projects.models import Project, Shot, Storyboard
from studio.review import services as review
from studio.review.models import Comment, Decision, ShareLink
from studio.teams.models import ROLE_ACTIONS, Action, Invitation, Membership
from tests.factories import make_take

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
    extra["team"] = studio.team.uuid
    extra["member"] = studio.vera.memberships.get(team=studio.team).uuid
    extra["invitation"] = studio.team.invitations.create(
        email="pending@example.com", role="viewer", invited_by=studio.alice
    ).uuid
    # -- review objects
    extra["comment"] = review.comment_add(target=take, body="Sky", user=studio.rita).uuid
    link = review.share_link_create(user=studio.alice, target=playlist, days=7)
    extra["share_link"] = link.uuid
    # -- session objects
    spare = Shot.objects.create(
        storyboard=studio.storyboard,
        position=2,
        prompt="Spare",
        duration=4,
        aspect_ratio="16:9",
        video_model=studio.veo,
    )
    gone = Shot.objects.create(
        storyboard=studio.storyboard,
        position=3,
        prompt="Gone",
        duration=4,
        aspect_ratio="16:9",
        video_model=studio.veo,
        deleted_at=timezone.now(),
    )
    extra |= {"spare": spare.uuid, "deleted": gone.uuid}
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
    ("get", "team_detail", "team", Action.VIEW, None),
    ("post", "team_switch", "team", Action.VIEW, None),
    ("post", "team_invite", "team", Action.MANAGE, {"who": "new@example.com", "role": "viewer"}),
    ("post", "team_invite", "team", Action.MANAGE, {"who": "oscar", "role": "viewer"}),
    ("post", "member_role", "member", Action.MANAGE, {"role": "editor"}),
    ("post", "member_remove", "member", Action.MANAGE, None),
    ("post", "invitation_revoke", "invitation", Action.MANAGE, None),
    # -- review routes
    ("get", "take_review", "take", Action.VIEW, None),
    ("post", "take_decide", "take", Action.REVIEW, {"state": "approved"}),
    ("post", "take_comment", "take", Action.REVIEW, {"body": "Warmer", "at_seconds": "1"}),
    ("post", "comment_resolve", "comment", Action.REVIEW, {"resolved": "1"}),
    ("get", "playlist_review", "playlist", Action.VIEW, None),
    ("post", "playlist_decide", "playlist", Action.REVIEW, {"state": "changes_requested"}),
    ("post", "playlist_comment", "playlist", Action.REVIEW, {"body": "Logo", "at_seconds": "1"}),
    ("get", "playlist_share", "playlist", Action.EDIT, None),
    ("post", "playlist_share", "playlist", Action.EDIT, {"days": "7"}),
    ("get", "storyboard_share", "storyboard", Action.EDIT, None),
    ("post", "storyboard_share", "storyboard", Action.EDIT, {"days": "1"}),
    ("post", "share_link_revoke", "share_link", Action.EDIT, None),
    # -- activity routes
    ("get", "project_activity", "project", Action.VIEW, None),
    ("post", "project_budget", "project", Action.MANAGE, {"budget": "150.00"}),
    # -- session routes
    ("get", "shot_view", "spare", Action.VIEW, None),
    ("get", "shot_edit", "spare", Action.EDIT, None),
    ("post", "shot_update", "spare", Action.EDIT, lambda studio, world: edited_spare(world)),
    ("post", "shot_move", "spare", Action.EDIT, {"direction": "up"}),
    ("post", "shots_reorder", "storyboard", Action.EDIT, lambda studio, world: shot_order()),
    ("post", "shot_duplicate", "spare", Action.EDIT, None),
    ("post", "shot_restore", "deleted", Action.EDIT, None),
    ("get", "storyboard_import", "storyboard", Action.EDIT, None),
    (
        "post",
        "storyboard_import",
        "storyboard",
        Action.EDIT,
        {"csv_text": "prompt,duration,aspect ratio\nImported,4,16:9\n"},
    ),
    ("post", "shot_delete", "spare", Action.EDIT, None),
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
        list(Decision.objects.values_list("pk", "state")),
        list(Comment.objects.values_list("pk", "resolved")),
        list(ShareLink.objects.values_list("pk", "revoked_at")),
        list(Project.objects.values_list("budget")),
        list(Shot.all_objects.values_list("pk", "prompt", "version", "position", "deleted_at")),
        list(Membership.objects.order_by("pk").values_list("pk", "team", "user", "role")),
        list(Invitation.objects.order_by("pk").values_list("pk", "revoked_at", "accepted_at")),
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
    if callable(kind):
        return kind(studio, world)
    return kind or {}


def edited_spare(world) -> dict:
    spare = Shot.objects.get(uuid=world["spare"])
    fields = {"prompt": "Edited", "duration": 4, "aspect_ratio": "16:9", "version": spare.version}
    fields["video_model"] = spare.video_model_id
    return {f"edit-{spare.pk}-{name}": value for name, value in fields.items()}


def shot_order() -> dict:
    return {
        "shot": [
            str(uuid) for uuid in Shot.objects.order_by("-position").values_list("uuid", flat=True)
        ]
    }


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
