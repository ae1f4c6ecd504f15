"""Assembling takes into ad playlists. Every change is checked whole before anything is written,
so bad input leaves the playlist as it was."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from studio.generation.models import Clip, ClipStatus
from studio.projects.models import Project, Storyboard
from studio.teams.models import Action
from studio.teams.services import require_action

from .models import PLATFORM_RATIOS, Playlist, PlaylistItem


def _require_edit(user, playlist_or_project) -> None:
    project = getattr(playlist_or_project, "project", playlist_or_project)
    require_action(user=user, team=project.team, action=Action.EDIT)


def _locked(playlist: Playlist) -> Playlist:
    """Serialise edits of one playlist (two people reordering at once)."""
    return Playlist.objects.select_for_update().get(pk=playlist.pk)


def playlist_create(
    *,
    user,
    project: Project,
    name: str,
    platform: str,
    target_seconds: int,
    aspect_ratio: str = "",
) -> Playlist:
    _require_edit(user, project)
    ratio = PLATFORM_RATIOS.get(platform) or aspect_ratio
    if ratio not in ("16:9", "9:16"):
        raise ValidationError({"aspect_ratio": "Choose 16:9 or 9:16 for a custom playlist."})
    return Playlist.objects.create(
        project=project,
        name=name,
        platform=platform,
        aspect_ratio=ratio,
        target_seconds=target_seconds,
        created_by=user,
    )


@transaction.atomic
def playlist_add_takes(*, user, playlist: Playlist, clips: Sequence[Clip]) -> list[PlaylistItem]:
    _require_edit(user, playlist)
    playlist = _locked(playlist)
    foreign = [c for c in clips if c.shot.storyboard.project_id != playlist.project_id]
    if foreign:
        raise ValidationError("A take from another project cannot be added to this playlist.")
    last = playlist.items.aggregate(last=Max("position"))["last"] or 0
    return PlaylistItem.objects.bulk_create(
        PlaylistItem(playlist=playlist, clip=clip, position=last + offset)
        for offset, clip in enumerate(clips, start=1)
    )


def storyboard_chosen_takes(storyboard: Storyboard) -> list[Clip]:
    """Each shot's take for the ad: its selected take, else its latest finished one."""
    chosen: dict[int, Clip] = {}
    takes = (
        Clip.objects.filter(shot__storyboard=storyboard, status=ClipStatus.COMPLETED)
        .select_related("shot__storyboard")
        .order_by("shot__position", "take_number")
    )
    for take in takes:
        if (
            chosen.get(take.shot_id) is None
            or chosen[take.shot_id].pk != take.shot.selected_take_id
        ):
            chosen[take.shot_id] = take
    return list(chosen.values())


def playlist_add_storyboard(*, user, playlist: Playlist, storyboard: Storyboard):
    takes = storyboard_chosen_takes(storyboard)
    if not takes:
        raise ValidationError(f"{storyboard.title} has no completed takes yet.")
    return playlist_add_takes(user=user, playlist=playlist, clips=takes)


@transaction.atomic
def playlist_reorder(*, user, playlist: Playlist, item_uuids: Sequence[str]) -> None:
    """Set the order to exactly these items: all of this playlist's, each once."""
    _require_edit(user, playlist)
    playlist = _locked(playlist)
    items = {str(item.uuid): item for item in playlist.items.all()}
    if sorted(map(str, item_uuids)) != sorted(items):
        raise ValidationError(
            "The new order must list every item of this playlist once; reload and try again."
        )
    for position, item_uuid in enumerate(item_uuids, start=1):
        items[str(item_uuid)].position = position
    PlaylistItem.objects.bulk_update(items.values(), ["position"])


@transaction.atomic
def playlist_move_item(*, user, item: PlaylistItem, offset: int) -> None:
    """Move up (-1) or down (+1): the keyboard alternative to dragging."""
    order = [str(i.uuid) for i in item.playlist.items.all()]
    index = order.index(str(item.uuid))
    target = max(0, min(len(order) - 1, index + offset))
    order.insert(target, order.pop(index))
    playlist_reorder(user=user, playlist=item.playlist, item_uuids=order)


@transaction.atomic
def playlist_remove_item(*, user, item: PlaylistItem) -> None:
    _require_edit(user, item.playlist)
    playlist = _locked(item.playlist)
    PlaylistItem.objects.filter(pk=item.pk).delete()
    remaining = list(playlist.items.all())
    for position, rest in enumerate(remaining, start=1):
        rest.position = position
    PlaylistItem.objects.bulk_update(remaining, ["position"])


def playlist_trim_item(
    *, user, item: PlaylistItem, trim_in: Decimal | None, trim_out: Decimal | None
) -> PlaylistItem:
    _require_edit(user, item.playlist)
    length = item.clip_length
    start = trim_in if trim_in is not None else Decimal("0")
    end = trim_out if trim_out is not None else length
    if start < 0 or end > length:
        raise ValidationError(f"Trims must stay within the take: 0 to {length:.1f} s.")
    if start >= end:
        raise ValidationError("The trim's end must come after its start.")
    item.trim_in, item.trim_out = trim_in, trim_out
    item.save(update_fields=["trim_in", "trim_out"])
    return item


@transaction.atomic
def playlist_duplicate(*, user, playlist: Playlist, name: str = "") -> Playlist:
    """A variant to edit: another hook, another call to action. Items and trims come along."""
    _require_edit(user, playlist)
    copy = Playlist.objects.create(
        project=playlist.project,
        name=name or f"{playlist.name} (variant)",
        platform=playlist.platform,
        aspect_ratio=playlist.aspect_ratio,
        target_seconds=playlist.target_seconds,
        created_by=user,
    )
    PlaylistItem.objects.bulk_create(
        PlaylistItem(
            playlist=copy,
            clip_id=item.clip_id,
            position=item.position,
            trim_in=item.trim_in,
            trim_out=item.trim_out,
        )
        for item in playlist.items.all()
    )
    return copy


@dataclass
class PlaylistSummary:
    """What the playlist page shows live as it changes."""

    length: Decimal
    target: int
    count: int
    cost: Decimal
    warnings: list[str] = field(default_factory=list)

    @property
    def over_target(self) -> bool:
        return self.length > self.target

    @property
    def meter_max(self) -> Decimal:
        return max(self.length, Decimal(self.target))


def playlist_summary(playlist: Playlist, items: Sequence[PlaylistItem]) -> PlaylistSummary:
    """From items already loaded with their takes: no query of its own."""
    summary = PlaylistSummary(
        length=sum((item.length for item in items), Decimal("0")),
        target=playlist.target_seconds,
        count=len(items),
        cost=sum((item.clip.cost for item in items), Decimal("0.00")),
    )
    for number, item in enumerate(items, start=1):
        if item.clip.aspect_ratio != playlist.aspect_ratio:
            summary.warnings.append(
                f"Item {number} is {item.clip.aspect_ratio}; the playlist is "
                f"{playlist.aspect_ratio}: it will be letterboxed."
            )
        if not item.is_ready:
            summary.warnings.append(
                f"Item {number} is not a finished take ({item.clip.get_status_display()})."
            )
    if summary.over_target:
        summary.warnings.append(f"{summary.length:.1f} s is over the {summary.target} s target.")
    return summary
