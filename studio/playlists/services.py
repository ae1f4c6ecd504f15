"""Assembling takes into ad playlists. Every change is checked whole before anything is written,
so bad input leaves the playlist as it was."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import uuid4

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.generation.models import Take
from studio.generation.tasks import enqueue
from studio.projects.models import Project
from studio.stitch import export_file_name
from studio.teams.models import Action
from studio.teams.services import require_action

from .models import PLATFORM_RATIOS, Export, Playlist, PlaylistItem
from .tasks import export_playlist


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
    with transaction.atomic():
        playlist = Playlist.objects.create(
            project=project,
            name=name,
            platform=platform,
            aspect_ratio=ratio,
            target_seconds=target_seconds,
            created_by=user,
        )
        activity_record(
            project=project,
            verb=Verb.CREATED,
            subject=f"playlist {name} ({ratio}, {target_seconds} s)",
            actor=user,
        )
    return playlist


@transaction.atomic
def playlist_add_takes(*, user, playlist: Playlist, takes: Sequence[Take]) -> list[PlaylistItem]:
    _require_edit(user, playlist)
    playlist = _locked(playlist)
    foreign = [c for c in takes if c.shot.storyboard.project_id != playlist.project_id]
    if foreign:
        raise ValidationError("A take from another project cannot be added to this playlist.")
    last = playlist.items.aggregate(last=Max("position"))["last"] or 0
    return PlaylistItem.objects.bulk_create(
        PlaylistItem(playlist=playlist, take=take, position=last + offset)
        for offset, take in enumerate(takes, start=1)
    )


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
    _renumber([items[str(item_uuid)] for item_uuid in item_uuids])


@transaction.atomic
def playlist_move_item(*, user, item: PlaylistItem, offset: int) -> None:
    """Move up (-1) or down (+1): the keyboard alternative to dragging. The order is read
    under the playlist's lock, so a change someone made meanwhile is moved within, not lost."""
    _require_edit(user, item.playlist)
    playlist = _locked(item.playlist)
    items = list(playlist.items.all())
    index = next((n for n, each in enumerate(items) if each.pk == item.pk), None)
    if index is None:
        raise ValidationError("That item was removed from the playlist meanwhile.")
    target = max(0, min(len(items) - 1, index + offset))
    items.insert(target, items.pop(index))
    _renumber(items)


@transaction.atomic
def playlist_remove_item(*, user, item: PlaylistItem) -> None:
    _require_edit(user, item.playlist)
    playlist = _locked(item.playlist)
    PlaylistItem.objects.filter(pk=item.pk).delete()
    _renumber(list(playlist.items.all()))


def _renumber(items: list[PlaylistItem]) -> None:
    """Positions 1, 2, 3... in this order, in one UPDATE."""
    for position, item in enumerate(items, start=1):
        item.position = position
    PlaylistItem.objects.bulk_update(items, ["position"])


def playlist_trim_item(
    *, user, item: PlaylistItem, trim_in: Decimal | None, trim_out: Decimal | None
) -> PlaylistItem:
    _require_edit(user, item.playlist)
    length = item.take_length
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
            take_id=item.take_id,
            position=item.position,
            trim_in=item.trim_in,
            trim_out=item.trim_out,
        )
        for item in playlist.items.all()
    )
    activity_record(
        project=playlist.project,
        verb=Verb.DUPLICATED,
        subject=f"playlist {playlist.name} as {copy.name}",
        actor=user,
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
        cost=sum((item.take.cost for item in items), Decimal("0.00")),
    )
    for number, item in enumerate(items, start=1):
        if item.take.aspect_ratio != playlist.aspect_ratio:
            summary.warnings.append(
                f"Item {number} is {item.take.aspect_ratio}; the playlist is "
                f"{playlist.aspect_ratio}: it will be letterboxed."
            )
        if not item.is_ready:
            summary.warnings.append(
                f"Item {number} is not a finished take ({item.take.get_status_display()})."
            )
    if summary.over_target:
        summary.warnings.append(f"{summary.length:.1f} s is over the {summary.target} s target.")
    return summary


# Exports: started here, run by the worker (exports.py)


def export_start(*, user, playlist: Playlist) -> Export:
    require_action(user=user, team=playlist.project.team, action=Action.EDIT)
    items = list(playlist.items.select_related("take"))
    if not items:
        raise ValidationError("Add takes to the playlist before exporting it.")
    unfinished = [n for n, item in enumerate(items, start=1) if not item.is_ready]
    if unfinished:
        raise ValidationError(
            f"Item {unfinished[0]} is not a finished take: export once every take is completed."
        )
    length = round(sum((item.length for item in items), Decimal("0")))
    with transaction.atomic():
        Playlist.objects.select_for_update().filter(pk=playlist.pk).first()
        version = (playlist.exports.aggregate(last=Max("version"))["last"] or 0) + 1
        export = Export.objects.create(
            playlist=playlist,
            version=version,
            created_by=user,
            file_name=export_file_name(
                project=playlist.project.name,
                playlist=playlist.name,
                aspect_ratio=playlist.aspect_ratio,
                length_seconds=length,
                version=version,
                max_length=_file_name_room(),
            ),
            manifest=manifest(playlist, items),
        )
        activity_record(
            project=playlist.project,
            verb=Verb.EXPORTED,
            subject=f"playlist {playlist.name} as {export.file_name} (started)",
            actor=user,
        )
        # Should the broker be down, the export sweep sends it later: the click still answers.
        transaction.on_commit(lambda: enqueue(export_playlist, export.pk))
    return export


def _file_name_room() -> int:
    """The longest export file name both columns hold: file_name, and video once exports.py
    stores the file as exports/<export uuid>/<file name> (the full names are in the manifest)."""
    file_name, video = Export.file_name.field.max_length, Export.video.field.max_length
    assert file_name is not None and video is not None
    return min(file_name, video - len(f"exports/{uuid4()}/"))


def manifest(playlist: Playlist, items: list[PlaylistItem]) -> dict:
    """What is inside, in order: enough to audit or rebuild the ad."""
    return {
        "project": playlist.project.name,
        "playlist": playlist.name,
        "aspect_ratio": playlist.aspect_ratio,
        "target_seconds": playlist.target_seconds,
        "items": [
            {
                "position": position,
                "shot": item.take.shot.position,
                "prompt": item.take.prompt,
                "take": item.take.take_number,
                "take_id": str(item.take.uuid),
                "duration": str(item.take_length),
                "trim_in": str(item.trim_in) if item.trim_in is not None else None,
                "trim_out": str(item.trim_out) if item.trim_out is not None else None,
                "length": str(item.length),
                "cost": str(item.take.cost),
            }
            for position, item in enumerate(items, start=1)
        ],
        "total_length": str(sum((item.length for item in items), Decimal("0"))),
        "total_cost": str(sum((item.take.cost for item in items), Decimal("0.00"))),
    }
