"""Every URL of the studio, in one table for the tests of who may use what.

- TEAM_ROUTES name an object of a team: tests/test_roles.py sends each one with every role
  (what a role may not do answers 403 and changes nothing; what it may do changes what the
  route says it changes), tests/test_access.py with an outsider (404, nothing changed) and
  without logging in (to the login page).
- ACCOUNT_ROUTES name no object (the user's own pages): without logging in, to the login page.
- GUEST_ROUTES are opened by a token, not a login: a forged token opens nothing (404).
- EXEMPT: URLs outside all three, each with the reason.

tests/test_access.py walks django.urls.get_resolver() and fails on a URL name in none of these.
Static files are not routed by Django (WhiteNoise answers them before the URLconf), and media
is never served directly (the take and export views check access first)."""

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from studio.activity.models import Activity
from studio.brands.models import BrandKit, Element
from studio.deliveries.models import Delivery, DeliveryFile, DeliveryStatus
from studio.generation.models import Take, TakeStatus
from studio.playlists.models import Export, ExportStatus, Playlist, PlaylistItem
from studio.projects.models import Project, Shot, Storyboard
from studio.review import services as review
from studio.review.models import Comment, Decision, ShareLink
from studio.teams.models import Action, Invitation, Membership, Team
from studio.teams.services import CURRENT_TEAM_SESSION_KEY
from tests.factories import make_shot, make_take

# Form data: a dict, or a function of (studio, world) for data known only when it is sent.
Data = dict | Callable[[Any, dict], dict] | None


@dataclass(frozen=True)
class Route:
    method: str
    name: str
    target: str | None = None  # the world's key of the object the URL names
    action: Action | None = None  # what a role must be allowed to do
    data: Data = None
    # The part of the snapshot that a request of a role allowed to send it changes; None
    # for a request that only reads.
    changes: str | None = None

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.name}"

    def url(self, world: dict, token: str | None = None) -> str:
        args = [token] if token is not None else []
        if self.target:
            args.append(world[self.target])
        return reverse(self.name, args=args)

    def send(self, client: Client, studio, world: dict, *, token=None, htmx: bool = False):
        data = self.data(studio, world) if callable(self.data) else self.data or {}
        headers = {"HX-Request": "true"} if htmx else {}
        return getattr(client, self.method)(self.url(world, token), data, headers=headers)


def new_shot(studio, world) -> dict:
    return {"video_model": studio.veo.pk, "prompt": "New", "duration": 4, "aspect_ratio": "16:9"}


def edited_spare(studio, world) -> dict:
    spare = Shot.objects.get(uuid=world["spare"])
    fields = {"prompt": "Edited", "duration": 4, "aspect_ratio": "16:9", "version": spare.version}
    fields["video_model"] = spare.video_model_id
    return {f"edit-{spare.pk}-{name}": value for name, value in fields.items()}


def shots_reversed(studio, world) -> dict:
    shots = Shot.objects.order_by("-position").values_list("uuid", flat=True)
    return {"shot": [str(uuid) for uuid in shots]}


def items_reversed(studio, world) -> dict:
    items = PlaylistItem.objects.filter(playlist__uuid=world["playlist"]).order_by("-position")
    return {"item": [str(uuid) for uuid in items.values_list("uuid", flat=True)]}


def item_moved(studio, world) -> dict:
    """Down, unless the item is already the last one (whatever the routes before did)."""
    item = PlaylistItem.objects.get(uuid=world["item"])
    last = item.playlist.items.count()
    return {"direction": "up" if item.position == last else "down"}


def png(width: int = 1, height: int = 1) -> bytes:
    """A valid PNG of this size (grey, 8 bits): a logo the check accepts."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


TINY_PNG = png()


def new_brand_kit(studio, world) -> dict:
    """A kit with a logo: a new upload each time it is sent (a file is read once)."""
    kit = {"name": "Second kit", "primary_colour": "#102030", "secondary_colour": "#FFEEDD"}
    kit |= {"font": "inter", "cta_url": "https://example.com", "end_card_seconds": "2"}
    return kit | {"logo": SimpleUploadedFile("logo.png", TINY_PNG, "image/png")}


def edited_brand_kit(studio, world) -> dict:
    kit = {"name": "Renamed kit", "primary_colour": "#AA0000", "secondary_colour": "#00AA00"}
    return kit | {"font": "roboto-slab", "cta_text": "Shop", "end_card_seconds": "4"}


def wav(seconds: float = 0.2, rate: int = 8000) -> bytes:
    """A valid WAV of silence (mono, 16 bits): a music bed the check accepts."""
    data = b"\x00\x00" * int(seconds * rate)
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    fmt = b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
    return header + fmt + b"data" + struct.pack("<I", len(data)) + data


def new_music(studio, world) -> dict:
    """Another bed than the world's: a new upload each time it is sent (a file is read once)."""
    return {"music": SimpleUploadedFile("new bed.wav", wav(), "audio/wav")}


VIEW, EDIT, GENERATE = Action.VIEW, Action.EDIT, Action.GENERATE
REVIEW, MANAGE = Action.REVIEW, Action.MANAGE

TEAM_ROUTES = [
    # -- projects and storyboards
    Route("get", "project_detail", "project", VIEW),
    Route("get", "storyboard_create", "project", EDIT),
    Route("post", "storyboard_create", "project", EDIT, {"title": "Alt"}, "storyboards"),
    Route("get", "storyboard_detail", "storyboard", VIEW),
    Route("get", "shot_form", "storyboard", VIEW),
    Route("get", "shot_estimate", "storyboard", VIEW, {"duration": "4"}),
    Route("get", "storyboard_live", "storyboard", VIEW),
    Route("post", "shot_create", "storyboard", EDIT, new_shot, "shots"),
    # -- variants: the world's shot is a hook with a finished take, so one variant is made
    Route("get", "storyboard_variants", "storyboard", VIEW, {"limit": "6"}),
    Route("post", "variants_make", "storyboard", EDIT, {"limit": "6"}, "playlists"),
    Route("post", "shot_part", "spare", EDIT, {"part": "body"}, "shots"),
    # -- takes
    Route("post", "shot_generate", "shot", GENERATE, None, "takes"),
    Route("get", "shot_budget_after", "shot", VIEW),  # the line under the confirmation
    Route("post", "batch_confirm", "storyboard", GENERATE, {"scope": "all"}),  # only asks
    Route("post", "batch_generate", "storyboard", GENERATE, {"scope": "all"}, "takes"),
    Route("post", "take_retry", "failed", GENERATE, None, "takes"),
    Route("post", "take_cancel", "pending", GENERATE, None, "takes"),
    Route("post", "take_check_again", "unconfirmed", GENERATE, None, "takes"),
    Route("post", "take_select", "take", EDIT, None, "shots"),
    Route("get", "take_video", "take", VIEW),
    Route("get", "take_poster", "take", VIEW),
    # -- playlists and exports
    Route("get", "playlist_create", "project", EDIT),
    Route(
        "post",
        "playlist_create",
        "project",
        EDIT,
        {"name": "Cutdown", "platform": "youtube", "length": "15"},
        "playlists",
    ),
    Route("get", "playlist_detail", "playlist", VIEW),
    Route("get", "playlist_summary", "playlist", VIEW),
    Route("get", "playlist_exports", "playlist", VIEW),
    Route("get", "playlist_deliverables_panel", "playlist", VIEW),
    Route("post", "playlist_add", "playlist", EDIT, lambda s, w: {"take": w["take"]}, "items"),
    Route("post", "playlist_reorder", "playlist", EDIT, items_reversed, "items"),
    Route("post", "playlist_duplicate", "playlist", EDIT, None, "playlists"),
    Route("get", "playlist_settings", "playlist", EDIT),
    Route(
        "post",
        "playlist_settings",
        "playlist",
        EDIT,
        {"settings-name": "Renamed", "settings-platform": "youtube", "settings-length": "15"},
        "playlists",
    ),
    Route("post", "playlist_item_move", "item", EDIT, item_moved, "items"),
    Route("post", "playlist_item_trim", "item", EDIT, {"trim_in": "1"}, "items"),
    Route(
        "post",
        "playlist_item_finish",
        "item",
        EDIT,
        {"caption": "Summer is here", "transition": "cut"},
        "items",
    ),
    Route(
        "post",
        "playlist_item_frame",
        "item",
        EDIT,
        {"framing": "blur", "crop_x": "0.3", "crop_y": "0.6"},
        "items",
    ),
    Route("post", "playlist_item_keep", "item", EDIT, {"keep": "on"}, "items"),
    Route(
        "post",
        "playlist_deliverables",
        "playlist",
        EDIT,
        {"placements": ["vertical", "feed-square"], "lengths": ["full"]},
        "playlists",
    ),
    Route(
        "post",
        "playlist_finishing",
        "playlist",
        EDIT,
        {"end_card": "on", "end_card_seconds": "3", "loudness_target": "-16"},
        "playlists",
    ),
    # -- the music bed: the world's playlist has one (bed.wav)
    Route("post", "playlist_music", "playlist", EDIT, new_music, "playlists"),
    Route("post", "playlist_music", "playlist", EDIT, {"music_gain": "-18"}, "playlists"),
    Route("get", "playlist_music_file", "playlist", VIEW),
    Route("post", "playlist_music_remove", "playlist", EDIT, None, "playlists"),
    Route("post", "playlist_item_remove", "item", EDIT, None, "items"),
    Route("post", "playlist_export", "playlist", EDIT, None, "exports"),
    Route("get", "export_download", "export", VIEW),
    Route("get", "export_manifest", "export", VIEW),
    # -- deliveries (Export all)
    Route("post", "delivery_start", "playlist", EDIT, None, "deliveries"),
    Route("get", "delivery_detail", "delivery", VIEW),
    Route("get", "delivery_package", "delivery", VIEW),
    Route("get", "delivery_sheet", "delivery", VIEW),
    Route("get", "delivery_sheet_csv", "delivery", VIEW),
    Route("post", "delivery_retry", "failed_delivery", EDIT, None, "deliveries"),
    # -- teams
    Route("get", "team_detail", "team", VIEW),
    Route("post", "team_switch", "team", VIEW, None, "session"),
    Route(
        "post",
        "team_invite",
        "team",
        MANAGE,
        {"who": "new@example.com", "role": "viewer"},
        "invitations",
    ),
    Route("post", "team_invite", "team", MANAGE, {"who": "oscar", "role": "viewer"}, "invitations"),
    Route("post", "team_review_rule", "team", MANAGE, {"review_rule": "owner_final"}, "teams"),
    Route("post", "member_role", "member", MANAGE, {"role": "editor"}, "memberships"),
    Route("post", "member_remove", "member", MANAGE, None, "memberships"),
    Route("post", "invitation_revoke", "invitation", MANAGE, None, "invitations"),
    # -- review
    Route("get", "take_review", "take", VIEW),
    Route("post", "take_decide", "take", REVIEW, {"state": "approved"}, "decisions"),
    Route(
        "post", "take_comment", "take", REVIEW, {"body": "Warmer", "at_seconds": "1"}, "comments"
    ),
    Route("post", "comment_resolve", "comment", REVIEW, {"resolved": "1"}, "comments"),
    Route("get", "playlist_review", "playlist", VIEW),
    Route("get", "playlist_review_report", "playlist", VIEW),
    Route("get", "playlist_review_report_csv", "playlist", VIEW),
    Route("get", "storyboard_review_report", "storyboard", VIEW),
    Route("get", "storyboard_review_report_csv", "storyboard", VIEW),
    Route("get", "shot_compare", "shot", VIEW),
    Route("get", "playlist_compare", "playlist", VIEW),
    Route(
        "post", "playlist_decide", "playlist", REVIEW, {"state": "changes_requested"}, "decisions"
    ),
    Route(
        "post",
        "playlist_comment",
        "playlist",
        REVIEW,
        {"body": "Logo", "at_seconds": "1"},
        "comments",
    ),
    Route("get", "playlist_share", "playlist", EDIT),
    Route("post", "playlist_share", "playlist", EDIT, {"days": "7"}, "share_links"),
    Route("get", "storyboard_share", "storyboard", EDIT),
    Route("post", "storyboard_share", "storyboard", EDIT, {"days": "1"}, "share_links"),
    Route("post", "share_link_revoke", "share_link", EDIT, None, "share_links"),
    # -- brand kits
    Route("get", "brand_kit_list", "team", VIEW),
    Route("get", "brand_kit_create", "team", EDIT),
    Route("post", "brand_kit_create", "team", EDIT, new_brand_kit, "brand_kits"),
    Route("get", "brand_kit_edit", "brand_kit", EDIT),
    Route("post", "brand_kit_edit", "brand_kit", EDIT, edited_brand_kit, "brand_kits"),
    Route("get", "brand_kit_logo", "brand_kit", VIEW),
    Route("get", "project_brand_kit", "project", EDIT),
    Route(
        "post",
        "project_brand_kit",
        "project",
        EDIT,
        lambda s, w: {"brand_kit": str(w["brand_kit"])},
        "projects",
    ),
    Route("post", "brand_kit_delete", "spare_kit", EDIT, None, "brand_kits"),
    Route(
        "post",
        "brand_kit_element_create",
        "brand_kit",
        EDIT,
        {"name": "runner", "description": "A runner in a teal tracksuit"},
        "elements",
    ),
    Route("get", "element_edit", "element", EDIT),
    Route(
        "post",
        "element_edit",
        "element",
        EDIT,
        {"name": "sneaker", "description": "A black sneaker"},
        "elements",
    ),
    Route("post", "element_delete", "element", EDIT, None, "elements"),
    # -- activity
    Route("get", "project_activity", "project", VIEW),
    Route("post", "project_budget", "project", MANAGE, {"budget": "150.00"}, "projects"),
    # -- editing sessions
    Route("get", "shot_view", "spare", VIEW),
    Route("get", "shot_edit", "spare", EDIT),
    Route("post", "shot_update", "spare", EDIT, edited_spare, "shots"),
    Route("post", "shot_move", "spare", EDIT, {"direction": "up"}, "shots"),
    Route("post", "shots_reorder", "storyboard", EDIT, shots_reversed, "shots"),
    Route("post", "shot_duplicate", "spare", EDIT, None, "shots"),
    Route("post", "shot_restore", "deleted", EDIT, None, "shots"),
    Route("get", "storyboard_import", "storyboard", EDIT),
    Route(
        "post",
        "storyboard_import",
        "storyboard",
        EDIT,
        {"csv_text": "prompt,duration,aspect ratio\nImported,4,16:9\n"},
        "shots",
    ),
    Route("post", "shot_delete", "spare", EDIT, None, "shots"),
]

# Who may use these is the page's own business (tested beside it): they need a login.
ACCOUNT_ROUTES = [
    Route("get", "dashboard"),  # tests/test_access.py: only my teams' projects
    Route("get", "project_create"),  # tests/projects/test_views.py: in a team I may edit
    Route("post", "project_create"),
    Route("get", "team_list"),  # tests/teams/: my memberships
    Route("get", "team_create"),
    Route("post", "team_create"),
    Route("post", "submissions_resume"),  # tests/generation/test_safety.py: who may resume
    Route("get", "polling_watch"),  # tests/generation/test_polling_watch.py: staff only
    # tests/teams/test_invitations.py: only the invited account (404 for anyone else)
    Route("post", "invitation_join", "invitation"),
    Route("post", "invitation_decline", "invitation"),
    # tests/teams/test_accounts.py: the user's own password
    Route("get", "password_change"),
    Route("post", "password_change"),
    Route("get", "password_change_done"),
]

# Opened by the token in the URL, with or without a login (tests/review/test_share.py,
# tests/teams/test_invitations.py): the token decides what they open.
GUEST_ROUTES = [
    Route("get", "share_open"),
    Route("post", "share_name", data={"name": "Clara"}),
    Route("post", "share_decide", data={"state": "approved"}),
    Route("post", "share_comment", data={"body": "Nice"}),
    Route("get", "share_take_video", "take"),
    Route("get", "share_take_poster", "take"),
    Route("get", "share_export_video", "export"),
    Route("get", "share_logo"),
    Route("get", "invitation_accept"),
    Route("post", "invitation_accept"),
]

EXEMPT = {
    "healthz": "the container's and the proxy's health check: no login, says only ok or 503",
    "login": "the way in: open to everyone",
    "logout": "the way out: open to everyone",
    "gateway_webhook": "the gateway's, not a person's: no login, a signature (test_webhooks.py)",
    "admin": "Django's admin, the whole namespace: staff only, by Django's own checks",
    # tests/teams/test_accounts.py: for people who cannot log in; the same answer whether or
    # not an account uses the address, and the mailed token decides the rest.
    "password_reset": "asking for a reset link: open to everyone",
    "password_reset_done": "the page after asking: open to everyone, says nothing of accounts",
    "password_reset_confirm": "opened by the mailed token (Django's check), no login",
    "password_reset_complete": "the page after the new password: open to everyone",
}


def build_world(studio) -> dict:
    """One of every object the routes name, in a state each route can act on; the world maps
    each route's target to its object's UUID."""
    take = make_take(studio.shot)
    take.video.save("take.mp4", ContentFile(b"\x00" * 64))
    take.poster.save("poster.jpg", ContentFile(b"\xff\xd8poster"))
    Shot.objects.filter(pk=studio.shot.pk).update(part="hook")  # for Make variants
    failed = make_take(studio.shot, status=TakeStatus.FAILED)
    pending = make_take(studio.shot, status=TakeStatus.PENDING)
    unconfirmed = make_take(studio.shot, status=TakeStatus.UNCONFIRMED)
    playlist = Playlist.objects.create(project=studio.project, name="Cut", target_seconds=6)
    # Two items: a reorder or a move changes something.
    item, _ = PlaylistItem.objects.bulk_create(
        PlaylistItem(playlist=playlist, take=take, position=position) for position in (1, 2)
    )
    export = Export.objects.create(playlist=playlist, version=1, file_name="cut_v1.mp4")
    export.video.save("cut_v1.mp4", ContentFile(b"\x00" * 64))
    playlist.music.save("bed.wav", ContentFile(wav()), save=False)
    playlist.music_name, playlist.music_seconds = "bed.wav", Decimal("0.2")
    playlist.save(update_fields=["music", "music_name", "music_seconds"])
    delivery, failed_delivery = deliveries(studio, playlist, take)
    invitation = studio.team.invitations.create(
        email="pending@example.com", role="viewer", invited_by=studio.alice
    )
    spare = make_shot(studio.storyboard, 2, video_model=studio.veo, prompt="Spare")
    brand_kit = BrandKit.objects.create(team=studio.team, name="Lemonade", logo_type="png")
    brand_kit.logo.save("logo.png", ContentFile(TINY_PNG))
    spare_kit = BrandKit.objects.create(team=studio.team, name="Spare kit")
    element = Element.objects.create(
        kit=brand_kit, name="sneaker", description="A white leather running sneaker"
    )
    gone = make_shot(
        studio.storyboard, 3, video_model=studio.veo, prompt="Gone", deleted_at=timezone.now()
    )
    return {
        "project": studio.project.uuid,
        "storyboard": studio.storyboard.uuid,
        "shot": studio.shot.uuid,
        "take": take.uuid,
        "failed": failed.uuid,
        "pending": pending.uuid,
        "unconfirmed": unconfirmed.uuid,
        "playlist": playlist.uuid,
        "item": item.uuid,
        "export": export.uuid,
        "delivery": delivery.uuid,
        "failed_delivery": failed_delivery.uuid,
        "team": studio.team.uuid,
        "member": studio.vera.memberships.get(team=studio.team).uuid,
        "invitation": invitation.uuid,
        "comment": review.comment_add(target=take, body="Sky", user=studio.rita).uuid,
        "share_link": review.share_link_create(user=studio.alice, target=playlist, days=7).uuid,
        "spare": spare.uuid,
        "deleted": gone.uuid,
        "brand_kit": brand_kit.uuid,
        "spare_kit": spare_kit.uuid,
        "element": element.uuid,
    }


def deliveries(studio, ad: Playlist, take: Take) -> tuple[Delivery, Delivery]:
    """A deliverable of the ad, delivered once (ready: its zip and sheet) and once failed (its
    file's export failed: Run again exports it anew)."""
    deliverable = Playlist.objects.create(
        project=studio.project,
        name="Cut vertical",
        platform="vertical",
        aspect_ratio="9:16",
        target_seconds=6,
        source=ad,
    )
    PlaylistItem.objects.create(playlist=deliverable, take=take, position=1)
    done = Export.objects.create(
        playlist=deliverable, version=1, file_name="cut-vertical_v1.mp4", status=ExportStatus.DONE
    )
    done.video.save("cut-vertical_v1.mp4", ContentFile(b"\x00" * 64))
    row = {"placement": "Reels", "file_name": done.file_name, "size_bytes": 64, "sha256": "0" * 64}
    ready = Delivery.objects.create(ad=ad, status=DeliveryStatus.READY, sheet=[row])
    ready.package.save("delivery.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18))
    lost = Export.objects.create(
        playlist=deliverable,
        version=2,
        file_name="cut-vertical_v2.mp4",
        status=ExportStatus.FAILED,
        error_message="The export stopped (its worker was lost); run it again.",
    )
    failed = Delivery.objects.create(ad=ad, status=DeliveryStatus.FAILED, error_message="Lost")
    DeliveryFile.objects.bulk_create(
        [
            DeliveryFile(delivery=ready, position=1, export=done),
            DeliveryFile(delivery=failed, position=1, export=lost),
        ]
    )
    return ready, failed


def snapshot(client: Client) -> dict[str, list]:
    """What any route may change, by the name a route's `changes` gives it."""

    def rows(model, *fields) -> list:
        manager = getattr(model, "all_objects", model.objects)  # deleted shots too
        return list(manager.order_by("pk").values_list("pk", *fields))

    return {
        "projects": rows(Project, "name", "budget", "brand_kit"),
        "storyboards": rows(Storyboard, "title"),
        "shots": rows(Shot, "prompt", "version", "position", "deleted_at", "selected_take", "part"),
        "takes": rows(Take, "status"),
        "playlists": rows(
            Playlist,
            "name",
            "end_card",
            "end_card_seconds",
            "loudness_target",
            "music_name",
            "music_gain",
        ),
        "items": rows(
            PlaylistItem,
            "playlist",
            "position",
            "trim_in",
            "caption",
            "transition_seconds",
            "framing",
            "crop_x",
            "keep",
        ),
        "exports": rows(Export, "status"),
        "deliveries": rows(Delivery, "status"),
        "decisions": rows(Decision, "state"),
        "comments": rows(Comment, "resolved"),
        "share_links": rows(ShareLink, "revoked_at"),
        "teams": rows(Team, "review_rule"),
        "memberships": rows(Membership, "team", "user", "role"),
        "invitations": rows(Invitation, "revoked_at", "accepted_at"),
        "activity": rows(Activity),
        "brand_kits": rows(BrandKit, "name", "primary_colour", "font", "logo"),
        "elements": rows(Element, "name", "description"),
        "session": [client.session.get(CURRENT_TEAM_SESSION_KEY)],
    }
