"""Projects, storyboards and shots. Every change to a storyboard's shots goes through here,
checked whole before anything is written, and leaves one line in the project's activity log."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.brands.models import BrandKit
from studio.catalog.models import VideoModel
from studio.teams.models import Action, Team
from studio.teams.services import require_action

from .csv_import import Row
from .models import Part, Presence, Project, Shot, Storyboard, validate_prompt

# How long Undo is offered after a shot is deleted.
UNDO_WINDOW = timedelta(seconds=60)
# How long a viewer counts as present after their page's last live-update request.
PRESENCE_WINDOW = timedelta(seconds=15)
# Presence is written at most this often per viewer: a page polls every few seconds.
PRESENCE_REFRESH = timedelta(seconds=5)


def project_create(
    *,
    user,
    team: Team,
    name: str,
    client: str,
    budget: Decimal,
    brand_kit: BrandKit | None = None,
) -> Project:
    require_action(user=user, team=team, action=Action.MANAGE)
    if brand_kit is not None and brand_kit.team_id != team.pk:
        raise ValidationError({"brand_kit": ["Choose one of the team's brand kits."]})
    return Project.objects.create(
        team=team, name=name, client=client, budget=budget, brand_kit=brand_kit, created_by=user
    )


@transaction.atomic
def project_brand_kit_set(*, user, project: Project, kit: BrandKit | None) -> Project:
    """The project's brand kit: one of its own team's, or none."""
    require_action(user=user, team=project.team, action=Action.EDIT)
    if kit is not None and kit.team_id != project.team_id:
        raise ValidationError({"brand_kit": ["Choose one of this team's brand kits."]})
    if project.brand_kit_id == (kit.pk if kit else None):
        return project
    project.brand_kit = kit
    project.save(update_fields=["brand_kit"])
    activity_record(
        project=project,
        verb=Verb.EDITED,
        subject=f"brand kit to {kit.name}" if kit else "brand kit to none",
        actor=user,
    )
    return project


def storyboard_create(*, user, project: Project, title: str) -> Storyboard:
    require_action(user=user, team=project.team, action=Action.EDIT)
    return Storyboard.objects.create(project=project, title=title)


def _require_edit(user, storyboard: Storyboard) -> None:
    require_action(user=user, team=storyboard.project.team, action=Action.EDIT)


def _lock(storyboard: Storyboard) -> None:
    """Serialise changes to one storyboard's order (two people moving shots at once).
    SQLite serialises writers by itself (IMMEDIATE transactions); this is for PostgreSQL."""
    Storyboard.objects.select_for_update().filter(pk=storyboard.pk).first()


def _log(user, shot: Shot, verb: Verb, subject: str = "") -> None:
    storyboard = shot.storyboard
    activity_record(
        project=storyboard.project,
        storyboard=storyboard,
        actor=user,
        verb=verb,
        subject=subject or f"shot {shot.position} “{shot.label}”",
        shot=shot,
    )


def _shift(storyboard: Storyboard, *, after: int, by: int) -> None:
    """Renumber the shots behind a gap that opens or closes; they count as changed."""
    storyboard.shots.filter(position__gt=after).update(
        position=F("position") + by, updated_at=timezone.now()
    )


def _check_shot(*, prompt: str, duration: int, aspect_ratio: str, video_model: VideoModel):
    validate_prompt(prompt)
    video_model.validate_request(duration=duration, aspect_ratio=aspect_ratio)


@transaction.atomic
def shot_create(
    *,
    user,
    storyboard: Storyboard,
    prompt: str,
    duration: int,
    aspect_ratio: str,
    video_model: VideoModel,
    title: str = "",
    notes: str = "",
) -> Shot:
    _require_edit(user, storyboard)
    _check_shot(
        prompt=prompt, duration=duration, aspect_ratio=aspect_ratio, video_model=video_model
    )
    _lock(storyboard)
    last = storyboard.shots.aggregate(last=Max("position"))["last"] or 0
    shot = Shot.objects.create(
        storyboard=storyboard,
        position=last + 1,
        title=title,
        prompt=prompt,
        duration=duration,
        aspect_ratio=aspect_ratio,
        video_model=video_model,
        notes=notes,
    )
    _log(user, shot, Verb.CREATED)
    return shot


class ShotConflict(Exception):
    """Someone saved the shot since this edit began: nothing was written."""

    def __init__(self, current: Shot) -> None:
        super().__init__(f"Shot {current.position} was changed by someone else.")
        self.current = current


EDITABLE_FIELDS = ("title", "prompt", "duration", "aspect_ratio", "video_model", "notes")


@transaction.atomic
def shot_update(
    *,
    user,
    shot: Shot,
    base_version: int,
    prompt: str,
    duration: int,
    aspect_ratio: str,
    video_model: VideoModel,
    title: str = "",
    notes: str = "",
) -> Shot:
    """Save an edit made from `base_version`. If the shot has moved on since, raise
    ShotConflict with what it holds now: the editor chooses, nothing is overwritten."""
    _require_edit(user, shot.storyboard)
    _check_shot(
        prompt=prompt, duration=duration, aspect_ratio=aspect_ratio, video_model=video_model
    )
    fields = {
        "title": title,
        "prompt": prompt,
        "duration": duration,
        "aspect_ratio": aspect_ratio,
        "video_model": video_model,
        "notes": notes,
    }
    saved = Shot.objects.filter(pk=shot.pk, version=base_version).update(
        **fields, version=F("version") + 1, updated_at=timezone.now()
    )
    current = Shot.all_objects.select_related("video_model", "storyboard__project").get(pk=shot.pk)
    if not saved:
        raise ShotConflict(current)
    _log(user, current, Verb.EDITED)
    return current


@transaction.atomic
def shot_part_set(*, user, shot: Shot, part: str) -> Shot:
    """Mark the shot as a hook, a body or a call to action (or none): shots of one part are
    its alternatives in Make variants. Not a text edit, so it leaves the version alone: an
    edit open elsewhere still saves."""
    _require_edit(user, shot.storyboard)
    if part not in Part.values:
        raise ValidationError({"part": "Choose hook, body, call to action or no part."})
    if shot.part == part:
        return shot
    shot.part = part
    shot.save(update_fields=["part", "updated_at"])
    what = f"part to {Part(part).label.lower()}" if part else "part to none"
    _log(user, shot, Verb.EDITED, f"shot {shot.position} “{shot.label}”: {what}")
    return shot


@transaction.atomic
def shot_duplicate(*, user, shot: Shot) -> Shot:
    """A copy straight after the original, without its takes: a variant to try."""
    _require_edit(user, shot.storyboard)
    _lock(shot.storyboard)
    shot = Shot.objects.get(pk=shot.pk)
    _shift(shot.storyboard, after=shot.position, by=1)
    fields = {name: getattr(shot, name) for name in EDITABLE_FIELDS}
    taken = set(shot.storyboard.shots.values_list("title", flat=True))
    fields["title"] = copy_title(shot.title, taken)
    copy = Shot.objects.create(
        storyboard=shot.storyboard,
        position=shot.position + 1,
        # Of the same part: a duplicated hook is another hook to try.
        part=shot.part,
        **fields,
    )
    _log(
        user, copy, Verb.DUPLICATED, f"shot {shot.position} “{shot.label}” as shot {copy.position}"
    )
    return copy


COPY_SUFFIX = re.compile(r" \(copy(?: \d+)?\)$")


def copy_title(title: str, taken: set[str]) -> str:
    """A copy's title that tells it apart: "Hook (copy)", then "Hook (copy 2)", and so on, the
    first one no shot of the storyboard has (a copy of a copy counts on from the original's).
    An untitled shot's copy stays untitled: its number tells it apart."""
    if not title:
        return ""
    base = COPY_SUFFIX.sub("", title)
    limit = Shot._meta.get_field("title").max_length or len(title)
    number = 1
    while True:
        suffix = " (copy)" if number == 1 else f" (copy {number})"
        candidate = base[: limit - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1


@transaction.atomic
def shot_delete(*, user, shot: Shot) -> Shot:
    _require_edit(user, shot.storyboard)
    _lock(shot.storyboard)
    now = timezone.now()
    if not Shot.objects.filter(pk=shot.pk).update(deleted_at=now, updated_at=now):
        raise ValidationError("This shot was already deleted.")
    _shift(shot.storyboard, after=shot.position, by=-1)
    shot.deleted_at = now
    _log(user, shot, Verb.DELETED)
    return shot


def undo_expires_at(shot: Shot) -> datetime:
    assert shot.deleted_at is not None  # only a deleted shot has an undo window
    return shot.deleted_at + UNDO_WINDOW


@transaction.atomic
def shot_restore(*, user, shot: Shot) -> Shot:
    """Undo a delete within UNDO_WINDOW: the shot comes back where it was."""
    _require_edit(user, shot.storyboard)
    _lock(shot.storyboard)
    shot = Shot.all_objects.select_related("video_model").get(pk=shot.pk)
    if shot.deleted_at is None:
        return shot
    if timezone.now() > undo_expires_at(shot):
        raise ValidationError("Too late to undo: the shot was deleted over a minute ago.")
    last = shot.storyboard.shots.aggregate(last=Max("position"))["last"] or 0
    shot.position = min(shot.position, last + 1)
    _shift(shot.storyboard, after=shot.position - 1, by=1)
    shot.deleted_at = None
    shot.save(update_fields=["deleted_at", "position", "updated_at"])
    _log(user, shot, Verb.RESTORED)
    return shot


@transaction.atomic
def shots_reorder(*, user, storyboard: Storyboard, shot_uuids: Sequence[str]) -> None:
    """Put the shots in this order. The list must name every shot of the storyboard exactly
    once: a stale page (someone added or deleted a shot meanwhile) is refused, not guessed."""
    _require_edit(user, storyboard)
    _lock(storyboard)
    shots = {str(shot.uuid): shot for shot in storyboard.shots.all()}
    if len(shot_uuids) != len(set(shot_uuids)) or set(shot_uuids) != set(shots):
        raise ValidationError(
            "The order names shots that are not on this storyboard, or misses some: "
            "the storyboard changed meanwhile. Nothing was moved."
        )
    now = timezone.now()
    moved = []
    for position, uuid in enumerate(shot_uuids, start=1):
        shot = shots[uuid]
        if shot.position != position:
            shot.position, shot.updated_at = position, now
            moved.append(shot)
    Shot.objects.bulk_update(moved, ["position", "updated_at"])
    if moved:
        activity_record(
            project=storyboard.project,
            storyboard=storyboard,
            actor=user,
            verb=Verb.REORDERED,
            subject="the shots",
        )


def shot_move(*, user, shot: Shot, offset: int) -> None:
    """Move up / Move down: the keyboard's way to reorder."""
    order = list(shot.storyboard.shots.values_list("uuid", flat=True))
    index = order.index(shot.uuid)
    target = min(max(index + offset, 0), len(order) - 1)
    order.insert(target, order.pop(index))
    shots_reorder(user=user, storyboard=shot.storyboard, shot_uuids=[str(u) for u in order])


@dataclass(frozen=True)
class Imported:
    shots: list[Shot]
    skipped: int


@transaction.atomic
def shots_import(
    *, user, storyboard: Storyboard, rows: Sequence[Row], video_model: VideoModel
) -> Imported:
    """Add the valid rows of a checked CSV as shots at the end, in file order."""
    _require_edit(user, storyboard)
    _lock(storyboard)
    valid = [row for row in rows if row.ok]
    if not valid:
        raise ValidationError("No row of the file can be imported: fix the errors shown.")
    last = storyboard.shots.aggregate(last=Max("position"))["last"] or 0
    new = []
    for number, row in enumerate(valid, start=1):
        assert row.duration is not None  # a row without one has an error, so is not valid
        new.append(
            Shot(
                storyboard=storyboard,
                position=last + number,
                title=row.title,
                prompt=row.prompt,
                duration=row.duration,
                aspect_ratio=row.aspect_ratio,
                video_model=video_model,
                notes=row.notes,
            )
        )
    shots = Shot.objects.bulk_create(new)
    activity_record(
        project=storyboard.project,
        storyboard=storyboard,
        actor=user,
        verb=Verb.IMPORTED,
        subject=f"{len(shots)} shot{'s' if len(shots) != 1 else ''}",
    )
    return Imported(shots=shots, skipped=len(rows) - len(valid))


def presence_touch(*, storyboard: Storyboard, user, now=None) -> None:
    """Mark the viewer present. Usually one SELECT that finds them fresh: written at most every
    PRESENCE_REFRESH, so fifty viewers polling do not queue writers behind each other."""
    now = now or timezone.now()
    mine = Presence.objects.filter(storyboard=storyboard, user=user)
    if mine.filter(last_seen__gte=now - PRESENCE_REFRESH).exists():
        return
    Presence.objects.update_or_create(storyboard=storyboard, user=user, defaults={"last_seen": now})


def present_users(storyboard: Storyboard, now=None) -> list[str]:
    now = now or timezone.now()
    return list(
        storyboard.presences.filter(last_seen__gte=now - PRESENCE_WINDOW)
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )
