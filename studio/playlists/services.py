"""Assembling takes into ad playlists. Every change is checked whole before anything is written,
so bad input leaves the playlist as it was."""

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from uuid import uuid4

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.brands.models import END_CARD_MAX_SECONDS, END_CARD_MIN_SECONDS, https_validator
from studio.generation.models import Take
from studio.generation.tasks import enqueue
from studio.projects.models import Project
from studio.stitch import export_file_name
from studio.teams.models import Action
from studio.teams.services import require_action

from .manifest import start_manifest
from .models import (
    CAPTION_MAX_LENGTH,
    CROSSFADE_MAX_SECONDS,
    CROSSFADE_MIN_SECONDS,
    CTA_TEXT_MAX_LENGTH,
    CTA_URL_MAX_LENGTH,
    MUSIC_FIELDS,
    Export,
    Framing,
    Loudness,
    Playlist,
    PlaylistItem,
    Transition,
)
from .placements import placement_slug
from .playlist_settings import placement_ratio
from .tasks import export_playlist
from .timeline import played_length


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
    ratio = placement_ratio(platform, aspect_ratio)
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
    items = PlaylistItem.objects.bulk_create(
        PlaylistItem(
            playlist=playlist,
            take=take,
            position=last + offset,
            framing=default_framing(take.aspect_ratio, playlist.aspect_ratio),
        )
        for offset, take in enumerate(takes, start=1)
    )
    if len(takes) == 1:
        _log_item(user, items[0], Verb.ADDED, f"to playlist {playlist.name}")
    elif takes:
        subject = f"{len(takes)} takes to playlist {playlist.name}"
        activity_record(project=playlist.project, verb=Verb.ADDED, subject=subject, actor=user)
    return items


def default_framing(take_ratio: str, playlist_ratio: str) -> Framing:
    """Crop to fill, as feeds and stories are cut from a wider picture; but a vertical take in
    a landscape frame would keep a third of its height, so it is fitted on a blurred copy."""
    if _ratio(take_ratio) < 1 <= _ratio(playlist_ratio):
        return Framing.BLUR
    return Framing.CROP


def _ratio(ratio: str) -> Fraction:
    width, _, height = ratio.partition(":")
    return Fraction(int(width), int(height))


@transaction.atomic
def playlist_reorder(*, user, playlist: Playlist, item_uuids: Sequence[str]) -> None:
    """Set the order to exactly these items: all of this playlist's, each once. A drag that
    puts an item back where it was writes no line."""
    _require_edit(user, playlist)
    playlist = _locked(playlist)
    items = {str(item.uuid): item for item in playlist.items.all()}  # in their order
    order = list(map(str, item_uuids))
    if sorted(order) != sorted(items):
        raise ValidationError(
            "The new order must list every item of this playlist once; reload and try again."
        )
    if order == list(items):
        return
    _renumber([items[item_uuid] for item_uuid in order])
    subject = f"the items of playlist {playlist.name}"
    activity_record(project=playlist.project, verb=Verb.REORDERED, subject=subject, actor=user)


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
    if target == index:  # already first or last
        return
    items.insert(target, items.pop(index))
    _renumber(items)
    _log_item(user, item, Verb.MOVED, f"in playlist {playlist.name} to place {target + 1}")


@transaction.atomic
def playlist_remove_item(*, user, item: PlaylistItem) -> None:
    _require_edit(user, item.playlist)
    playlist = _locked(item.playlist)
    PlaylistItem.objects.filter(pk=item.pk).delete()
    _renumber(list(playlist.items.all()))
    _log_item(user, item, Verb.REMOVED, f"from playlist {playlist.name}")


def _log_item(user, item: PlaylistItem, verb: Verb, where: str) -> None:
    """An item's line in the log names its take, and through it the shot (see Activity)."""
    take = item.take
    activity_record(
        project=item.playlist.project,
        verb=verb,
        subject=f"take {take.take_number} of shot {take.shot.position} {where}",
        actor=user,
        take=take,
    )


def _renumber(items: list[PlaylistItem]) -> None:
    """Positions 1, 2, 3... in this order, in one UPDATE."""
    for position, item in enumerate(items, start=1):
        item.position = position
    PlaylistItem.objects.bulk_update(items, ["position"])


@transaction.atomic
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
    # A crossfade into or out of this item must still fit in it once trimmed.
    items, index = _items_around(item)
    unchanged = (items[index].start, items[index].end) == (start, end)
    trimmed = end - start
    joins = [items[index - 1]] if index > 0 else []
    joins += [items[index]] if index + 1 < len(items) else []
    for joining in joins:
        if joining.crossfade > trimmed:
            raise ValidationError(
                f"Trimmed to {trimmed:.2f} s, item {index + 1} would be shorter than the "
                f"{joining.crossfade} s crossfade of item {joining.position}: shorten the "
                "crossfade first."
            )
    item.trim_in, item.trim_out = trim_in, trim_out
    item.save(update_fields=["trim_in", "trim_out"])
    if not unchanged:  # a frame is 1/24 s: hundredths tell one from none
        where = f"in playlist {item.playlist.name} to keep {start:.2f} s to {end:.2f} s"
        _log_item(user, item, Verb.TRIMMED, where)
    return item


def _items_around(item: PlaylistItem) -> tuple[list[PlaylistItem], int]:
    """The playlist's items in order, read under its lock, and where this item stands."""
    playlist = _locked(item.playlist)
    items = list(playlist.items.select_related("take"))
    index = next((n for n, each in enumerate(items) if each.pk == item.pk), None)
    if index is None:
        raise ValidationError("That item was removed from the playlist meanwhile.")
    return items, index


# Finishing: captions, transitions, the end card and loudness. Stored here; the export
# engine renders them.


@transaction.atomic
def playlist_item_finish(
    *,
    user,
    item: PlaylistItem,
    caption: str,
    transition: str,
    transition_seconds: Decimal | None,
) -> PlaylistItem:
    """Set an item's caption and its transition into the next item, checked against both."""
    _require_edit(user, item.playlist)
    caption = caption.strip()
    if len(caption) > CAPTION_MAX_LENGTH:
        raise ValidationError(
            f"A caption holds at most {CAPTION_MAX_LENGTH} characters; this one has {len(caption)}."
        )
    if transition not in Transition.values:
        raise ValidationError("Choose a cut or a crossfade.")
    items, index = _items_around(item)
    if transition == Transition.CUT:
        transition_seconds = None
    else:
        _check_crossfade(items, index, transition_seconds)
    current = items[index]
    current.caption, current.transition = caption, transition
    current.transition_seconds = transition_seconds
    current.save(update_fields=["caption", "transition", "transition_seconds"])
    return current


def _check_crossfade(items: list[PlaylistItem], index: int, seconds: Decimal | None) -> None:
    if index + 1 == len(items):
        raise ValidationError(
            f"Item {index + 1} is the last: there is no next item to crossfade into."
        )
    if seconds is None or not CROSSFADE_MIN_SECONDS <= seconds <= CROSSFADE_MAX_SECONDS:
        raise ValidationError(
            f"A crossfade lasts {CROSSFADE_MIN_SECONDS} to {CROSSFADE_MAX_SECONDS} s."
        )
    for number in (index + 1, index + 2):
        neighbour = items[number - 1]
        if seconds > neighbour.length:
            raise ValidationError(
                f"A {seconds} s crossfade is longer than item {number} "
                f"({neighbour.length:.2f} s as trimmed): make it at most "
                f"{min(items[index].length, items[index + 1].length):.2f} s."
            )


CROP_STEP = Decimal("0.001")  # the crop centre's column keeps three decimals


@transaction.atomic
def playlist_item_frame(
    *, user, item: PlaylistItem, framing: str, crop_x: Decimal, crop_y: Decimal
) -> PlaylistItem:
    """How a take of another ratio fills the frame: cropped around a centre (fractions of the
    take's width and height, 0 to 1), fitted on a blurred copy of itself, or with bars."""
    _require_edit(user, item.playlist)
    if framing not in Framing.values:
        raise ValidationError("Choose crop, blurred copy or black bars.")
    outside = [
        f"{label} {value}"
        for label, value in (("across", crop_x), ("down", crop_y))
        if not Decimal("0") <= value <= Decimal("1")
    ]
    if outside:
        raise ValidationError(
            f"The crop centre must lie inside the frame: 0 to 1 across and down (0.5 is the "
            f"middle), not {' and '.join(outside)}."
        )
    item.framing = framing
    item.crop_x, item.crop_y = (
        v.quantize(CROP_STEP, rounding=ROUND_HALF_UP) for v in (crop_x, crop_y)
    )
    item.save(update_fields=["framing", "crop_x", "crop_y"])
    return item


def playlist_item_keep(*, user, item: PlaylistItem, keep: bool) -> PlaylistItem:
    """Kept whole when a shorter cut is proposed from this playlist."""
    _require_edit(user, item.playlist)
    item.keep = keep
    item.save(update_fields=["keep"])
    return item


def playlist_finish(
    *,
    user,
    playlist: Playlist,
    end_card: bool,
    end_card_seconds: Decimal | None,
    cta_text: str,
    cta_url: str,
    loudness_target: int,
) -> Playlist:
    """The end card (on or off, its length, the call to action over the brand kit's) and the
    loudness target. Every field is checked before any is written."""
    _require_edit(user, playlist)
    cta_text, cta_url = cta_text.strip(), cta_url.strip()
    errors: dict[str, str] = {}
    if end_card_seconds is not None and not (
        END_CARD_MIN_SECONDS <= end_card_seconds <= END_CARD_MAX_SECONDS
    ):
        errors["end_card_seconds"] = (
            f"An end card lasts {END_CARD_MIN_SECONDS} to {END_CARD_MAX_SECONDS} s."
        )
    if len(cta_text) > CTA_TEXT_MAX_LENGTH:
        errors["cta_text"] = f"A call to action holds at most {CTA_TEXT_MAX_LENGTH} characters."
    if len(cta_url) > CTA_URL_MAX_LENGTH:
        errors["cta_url"] = f"A call-to-action URL holds at most {CTA_URL_MAX_LENGTH} characters."
    elif cta_url:
        try:
            https_validator(cta_url)
        except ValidationError as error:
            errors["cta_url"] = error.messages[0]
    if loudness_target not in Loudness.values:
        errors["loudness_target"] = "Choose -14, -16 or -23 LUFS."
    if errors:
        raise ValidationError(errors)
    playlist.end_card, playlist.end_card_seconds = end_card, end_card_seconds
    playlist.cta_text, playlist.cta_url = cta_text, cta_url
    playlist.loudness_target = loudness_target
    playlist.save(update_fields=[*FINISHING_FIELDS, "updated_at"])
    return playlist


FINISHING_FIELDS = ["end_card", "end_card_seconds", "cta_text", "cta_url", "loudness_target"]


@transaction.atomic
def playlist_duplicate(*, user, playlist: Playlist, name: str = "") -> Playlist:
    """A variant to edit: another hook, another call to action. Items, trims, finishing and
    the music bed come along (the bed's stored file is shared)."""
    _require_edit(user, playlist)
    copy = Playlist.objects.create(
        project=playlist.project,
        name=name or f"{playlist.name} (variant)",
        platform=playlist.platform,
        aspect_ratio=playlist.aspect_ratio,
        target_seconds=playlist.target_seconds,
        created_by=user,
        **{name: getattr(playlist, name) for name in [*FINISHING_FIELDS, *MUSIC_FIELDS]},
    )
    PlaylistItem.objects.bulk_create(item.copy_to(copy) for item in playlist.items.all())
    activity_record(
        project=playlist.project,
        verb=Verb.DUPLICATED,
        subject=f"playlist {playlist.name} as {copy.name}",
        actor=user,
    )
    return copy


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
    # As it plays: crossfades overlap, the end card adds (the plain join is the items' sum).
    played = played_length(items) + playlist.end_card_added
    length = round(played)
    ad = playlist.source or playlist
    if playlist.source_id is not None and played <= playlist.target_seconds:
        # A deliverable is named by the slot it was cut for (a 15 s spot playing 14.6 s is
        # a 15), so the variants of an ad group by placement and length.
        length = playlist.target_seconds
    with transaction.atomic():
        Playlist.objects.select_for_update().filter(pk=playlist.pk).first()
        version = (playlist.exports.aggregate(last=Max("version"))["last"] or 0) + 1
        export = Export.objects.create(
            playlist=playlist,
            version=version,
            created_by=user,
            file_name=export_file_name(
                project=playlist.project.name,
                playlist=ad.name,
                aspect_ratio=playlist.aspect_ratio,
                length_seconds=length,
                version=version,
                max_length=_file_name_room(),
                placement=placement_slug(playlist.platform, playlist.aspect_ratio),
            ),
            manifest=start_manifest(playlist, items),
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
