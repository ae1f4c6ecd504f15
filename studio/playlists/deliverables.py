"""Deliverables: one ad made into every placement and length it runs in. Each is a playlist of
its own (source = the ad), so it is reviewed, edited and exported (versioned) like any other."""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.teams.models import Action
from studio.teams.services import require_action

from .cuts import Cut, CutImpossible, describe, pieces, played_length, propose_cut
from .models import (
    MUSIC_FIELDS,
    PLATFORM_RATIOS,
    Export,
    ExportStatus,
    Playlist,
    PlaylistItem,
)
from .placements import LENGTHS, PLACEMENT_LABELS, PLACEMENTS, SHORT_LENGTHS, length_label
from .services import FINISHING_FIELDS, default_framing

NAME_MAX = Playlist._meta.get_field("name").max_length or 120


@dataclass
class Made:
    playlists: list[Playlist] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # what was not made, and why


def deliverable_name(ad_name: str, platform: str, length: int | None) -> str:
    """ "Summer hero · Reels 9:16 · 15 s": the ad's name is cut short, never the tail."""
    tail = f" · {PLACEMENT_LABELS[platform]} · {length_label(length)}"
    return ad_name[: NAME_MAX - len(tail)].rstrip() + tail


def deliverable_target(length: int | None, full_length: Decimal) -> int:
    """A deliverable's target: 15 or 6 for a shorter cut; the full cut's is its own length
    rounded up, so it is never "over target" (and never the same as a shorter cut's: a
    length the full cut does not exceed is not made)."""
    return length or max(1, math.ceil(full_length))


def deliverables_make(
    *, user, playlist: Playlist, platforms: Sequence[str], lengths: Sequence[int | None]
) -> Made:
    """One deliverable per placement and length (None: the full cut; 15 and 6: a shorter cut
    proposed from it). A length the full cut does not exceed is skipped, and so is a
    deliverable already made (same placement and target length, whatever the ad is called
    now: its next export is its next version, so file names never collide). All or nothing:
    a cut that cannot be made refuses the whole request."""
    require_action(user=user, team=playlist.project.team, action=Action.EDIT)
    if playlist.source_id is not None:
        raise ValidationError("This is a deliverable: make deliverables from the ad it came from.")
    unknown = [p for p in platforms if p not in PLACEMENTS]
    if unknown:
        raise ValidationError(f"Unknown placement: {unknown[0]}.")
    if any(length not in LENGTHS for length in lengths):
        raise ValidationError("Choose the full cut, 15 s or 6 s.")
    if not platforms or not lengths:
        raise ValidationError("Choose at least one placement and one length.")
    platforms = [p for p in PLACEMENTS if p in platforms]  # page order, each once
    lengths = [n for n in LENGTHS if n in lengths]
    with transaction.atomic():
        # Two people pressing at once: the second waits, then finds the first's deliverables.
        ad = Playlist.objects.select_for_update().select_related("project").get(pk=playlist.pk)
        items = list(ad.items.select_related("take"))
        if not items:
            raise ValidationError("Add takes to the ad before making deliverables.")
        end_card = ad.end_card_added
        full = pieces(items)
        full_length = played_length(full, end_card)
        made = Made()
        cuts: dict[int | None, Cut | None] = {}
        for length in lengths:
            if length is None:
                cuts[length] = None
            elif full_length <= length:
                made.skipped.append(
                    f"No {length} s cut: the full cut is already {full_length:.1f} s."
                )
            else:
                try:
                    cuts[length] = propose_cut(full, target=length, end_card=end_card)
                except CutImpossible as error:
                    raise ValidationError(str(error)) from None
        # A deliverable is its ad, placement and length, not its name: the name holds the
        # ad's, which may have changed since.
        existing = {
            (platform, target): name
            for platform, target, name in ad.deliverables.values_list(
                "platform", "target_seconds", "name"
            )
        }
        for platform in platforms:
            for length, cut in cuts.items():
                target = deliverable_target(length, full_length)
                if (platform, target) in existing:
                    made.skipped.append(f"Already made: {existing[platform, target]}.")
                    continue
                name = deliverable_name(ad.name, platform, length)
                made.playlists.append(_make(user, ad, items, platform, target, cut, name))
        if not made.playlists:
            raise ValidationError(made.skipped or "Nothing to make.")
    return made


def _make(
    user,
    ad: Playlist,
    items: list[PlaylistItem],
    platform: str,
    target: int,
    cut: Cut | None,
    name: str,
) -> Playlist:
    ratio = PLATFORM_RATIOS[platform]
    deliverable = Playlist.objects.create(
        project=ad.project,
        source=ad,
        name=name,
        platform=platform,
        aspect_ratio=ratio,
        target_seconds=target,
        created_by=user,
        # The music file is shared, not copied: the bytes are the same.
        **{f: getattr(ad, f) for f in [*FINISHING_FIELDS, *MUSIC_FIELDS]},
    )
    if cut is None:
        rows = [
            _copy(item, ad, deliverable, position, item.trim_out, item.transition_seconds)
            for position, item in enumerate(items, start=1)
        ]
    else:
        rows = [
            _copy(
                items[kept.source],
                ad,
                deliverable,
                position,
                kept.trim_out,
                kept.transition_seconds,
            )
            for position, kept in enumerate(cut.items, start=1)
        ]
    PlaylistItem.objects.bulk_create(rows)
    activity_record(
        project=ad.project,
        verb=Verb.CREATED,
        subject=f"deliverable {name} ({ratio}) of playlist {ad.name}",
        actor=user,
    )
    return deliverable


def _copy(
    item: PlaylistItem,
    ad: Playlist,
    deliverable: Playlist,
    position: int,
    trim_out: Decimal | None,
    transition_seconds: Decimal | None,
) -> PlaylistItem:
    return item.copy_to(
        deliverable,
        position=position,
        trim_out=trim_out,
        transition="crossfade" if transition_seconds is not None else "cut",
        transition_seconds=transition_seconds,
        framing=_framing(item, ad.aspect_ratio, deliverable),
    )


def _framing(item: PlaylistItem, ad_ratio: str, deliverable: Playlist) -> str:
    """A take of the ad's own ratio was never framed there (its "crop" did nothing): it is
    framed for the deliverable as a take added to it would be (a vertical take in a landscape
    frame on a blurred copy, not cropped to a strip). A take of another ratio was framed by
    the user: that choice is kept. The items are loaded with their takes."""
    take_ratio = item.take.aspect_ratio
    if take_ratio == ad_ratio:
        return default_framing(take_ratio, deliverable.aspect_ratio)
    return item.framing


# What the ad's page shows: the deliverables made, and what each length would be


@dataclass
class DeliverableRow:
    playlist: Playlist
    placement: str
    export_uuid: UUID | None
    export_name: str
    export_status: str  # in words
    export_ready: bool
    # In words, by the team's review rule: the review app's to say, so the view sets it (this
    # layer does not import it).
    review_state: str = ""


def deliverable_rows(ad: Playlist) -> list[DeliverableRow]:
    """The ad's deliverables, each with its latest export: one query, subqueries rather than a
    query each."""
    latest_export = Export.objects.filter(playlist=OuterRef("pk")).order_by("-version")
    made = ad.deliverables.annotate(
        export_uuid=Subquery(latest_export.values("uuid")[:1]),
        export_name=Subquery(latest_export.values("file_name")[:1]),
        export_status=Subquery(latest_export.values("status")[:1]),
    ).order_by("created_at", "pk")
    return [
        DeliverableRow(
            playlist=d,
            placement=PLACEMENT_LABELS.get(d.platform, d.aspect_ratio),
            export_uuid=d.export_uuid,
            export_name=d.export_name or "",
            export_status=ExportStatus(d.export_status).label if d.export_status else "",
            export_ready=d.export_status == ExportStatus.DONE,
        )
        for d in made
    ]


def cut_previews(ad: Playlist, items: list[PlaylistItem]) -> list[tuple[str, str, str]]:
    """Each length's form value, label and what it would be, said before anything is made
    (deliverables_make proposes the same cuts). The items are loaded with their takes."""
    full = pieces(items)
    end_card = ad.end_card_added
    full_length = played_length(full, end_card)
    previews = [("full", "Full cut", f"{full_length:.1f} s, every item")]
    for length in SHORT_LENGTHS:
        if not items:
            what = "add takes first"
        elif full_length <= length:
            what = f"not made: the full cut is already {full_length:.1f} s"
        else:
            try:
                what = describe(propose_cut(full, target=length, end_card=end_card), len(items))
            except CutImpossible as error:
                what = str(error)
        previews.append((str(length), f"{length} s", what))
    return previews
