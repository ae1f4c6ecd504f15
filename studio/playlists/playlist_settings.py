"""A playlist's name, placement and target length: the ratio a placement stands for, checked
when a playlist is made (services.playlist_create) and when it is changed (here)."""

from django.core.exceptions import ValidationError
from django.db import transaction

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.teams.models import Action
from studio.teams.services import require_action

from .models import PLATFORM_RATIOS, Playlist


def placement_ratio(platform: str, aspect_ratio: str) -> str:
    ratio = PLATFORM_RATIOS.get(platform) or aspect_ratio
    if platform not in PLATFORM_RATIOS and ratio not in ("16:9", "9:16"):
        raise ValidationError({"aspect_ratio": "Choose 16:9 or 9:16 for a custom playlist."})
    return ratio


@transaction.atomic
def playlist_update(
    *,
    user,
    playlist: Playlist,
    name: str,
    platform: str,
    target_seconds: int,
    aspect_ratio: str = "",
) -> Playlist:
    """Rename, or change the placement and target length; the items and their trims stay."""
    require_action(user=user, team=playlist.project.team, action=Action.EDIT)
    ratio = placement_ratio(platform, aspect_ratio)
    # Under the playlist's lock, as every edit of it (services._locked).
    playlist = Playlist.objects.select_for_update().get(pk=playlist.pk)
    playlist.name, playlist.platform = name, platform
    playlist.aspect_ratio, playlist.target_seconds = ratio, target_seconds
    playlist.save(update_fields=["name", "platform", "aspect_ratio", "target_seconds"])
    subject = f"playlist {name} ({ratio}, {target_seconds} s)"
    activity_record(project=playlist.project, verb=Verb.EDITED, subject=subject, actor=user)
    return playlist
