"""Variants for testing: the storyboard's shots marked hook, body or call to action are the
alternatives of each part, and Make variants builds one playlist per combination of them (up
to a bound the user sets), each an ordinary playlist with its own review state, so a review
meeting can pick the two or three to run.

A variant reuses each shot's finished take (its selected take, else its latest completed one,
else one still rendering). A shot with none gets one new take, made once however many variants
use it, through the Generate button's service: its budget and permission checks hold."""

import itertools
from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch

from studio.activity.models import Verb
from studio.activity.services import activity_record
from studio.generation.models import ACTIVE_STATUSES, Take, TakeStatus
from studio.generation.services import Batch, BudgetExceeded, batch_estimate, takes_create
from studio.projects.models import PARTS, Part, Shot, Storyboard
from studio.teams.models import Action
from studio.teams.services import require_action

from .models import PLATFORM_RATIOS, TARGET_LENGTHS, Platform, Playlist
from .services import playlist_add_takes, playlist_create

DEFAULT_LIMIT = 6
# A review meeting compares a handful; two dozen playlists is already a long afternoon.
MAX_LIMIT = 24
# What a part is called in a variant's name: "Hook 2 + Body 1 + CTA 3".
SHORT_NAMES = {Part.HOOK: "Hook", Part.BODY: "Body", Part.CTA: "CTA"}
# A take still rendering will do (exports wait for it); one being cancelled will not.
RENDERING = tuple(status for status in ACTIVE_STATUSES if status != TakeStatus.CANCELLING)


@dataclass(frozen=True)
class Alternative:
    """One shot of a part, numbered within its part in storyboard order, with the take a
    variant uses (None: one must be generated)."""

    shot: Shot
    number: int
    take: Take | None

    @property
    def name(self) -> str:
        return f"{SHORT_NAMES[Part(self.shot.part)]} {self.number}"


@dataclass(frozen=True)
class Group:
    part: Part
    alternatives: list[Alternative]


@dataclass(frozen=True)
class Plan:
    """What Make variants would make now: shown before, and made by variants_make."""

    groups: list[Group]  # every part, in play order, empty ones included
    limit: int
    combinations: list[tuple[Alternative, ...]]  # the first `limit`, in a stable order
    possible: int  # how many combinations there are in all
    missing: list[Shot]  # shots those combinations use that need a take generated
    batch: Batch  # what generating them costs, and what the budget keeps

    @property
    def marked(self) -> list[Group]:
        return [group for group in self.groups if group.alternatives]

    @property
    def empty(self) -> list[Group]:
        return [group for group in self.groups if not group.alternatives]

    @property
    def count(self) -> int:
        return len(self.combinations)


def usable_take(shot: Shot) -> Take | None:
    """The shot's selected take if finished, else its latest finished take, else its latest
    one still rendering. Reads `shot.usable_takes` (newest first), as variants_plan loads."""
    selected = shot.selected_take
    if selected is not None and selected.status == TakeStatus.COMPLETED:
        return selected
    takes = shot.usable_takes  # type: ignore[attr-defined]
    finished = [take for take in takes if take.status == TakeStatus.COMPLETED]
    return (finished or takes or [None])[0]


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError({"limit": f"Make between 1 and {MAX_LIMIT} variants at a time."})
    return limit


def variants_plan(*, storyboard: Storyboard, limit: int = DEFAULT_LIMIT) -> Plan:
    """The groups, the combinations and their cost, in three queries: the marked shots with
    their models and selected takes, their other usable takes, and the project's costs."""
    check_limit(limit)
    newest = Take.objects.filter(status__in=(TakeStatus.COMPLETED, *RENDERING))
    shots = (
        storyboard.shots.exclude(part=Part.NONE)
        .select_related("video_model", "selected_take")
        .prefetch_related(
            Prefetch("takes", queryset=newest.order_by("-take_number"), to_attr="usable_takes")
        )
    )
    by_part: dict[str, list[Shot]] = {part: [] for part in PARTS}
    for shot in shots:
        by_part[shot.part].append(shot)
    groups = [
        Group(
            part=part,
            alternatives=[
                Alternative(shot=shot, number=number, take=usable_take(shot))
                for number, shot in enumerate(by_part[part], start=1)
            ],
        )
        for part in PARTS
    ]
    marked = [group.alternatives for group in groups if group.alternatives]
    possible = 0
    if marked:
        possible = 1
        for alternatives in marked:
            possible *= len(alternatives)
    # itertools.product is lazy: only the first `limit` combinations are ever built.
    combinations = list(itertools.islice(itertools.product(*marked), limit)) if marked else []
    missing: dict[int, Shot] = {}
    for combination in combinations:
        for alternative in combination:
            if alternative.take is None:
                missing.setdefault(alternative.shot.pk, alternative.shot)
    # In storyboard order, as the batch confirmation lists them.
    needed = sorted(missing.values(), key=lambda shot: (shot.position, shot.pk))
    batch = batch_estimate(project=storyboard.project, shots=needed)
    return Plan(
        groups=groups,
        limit=limit,
        combinations=combinations,
        possible=possible,
        missing=needed,
        batch=batch,
    )


def variant_name(storyboard: Storyboard, combination: tuple[Alternative, ...]) -> str:
    """ "Hero spot: Hook 2 + Body 1 + CTA 3": the project's playlists come from all its
    storyboards, so the storyboard's title leads (cut short to fit the name's limit)."""
    parts = " + ".join(alternative.name for alternative in combination)
    limit = Playlist._meta.get_field("name").max_length
    assert limit is not None
    room = limit - len(parts) - 2
    return f"{storyboard.title[:room]}: {parts}"


def variant_platform(takes: list[Take]) -> str:
    """The placement of the ratio most of the variant's takes have (the first's on a tie):
    16:9 is YouTube, 9:16 vertical."""
    # most_common keeps first-seen order among equal counts.
    ratio = Counter(take.aspect_ratio for take in takes).most_common(1)[0][0]
    platforms = {ratio: platform for platform, ratio in PLATFORM_RATIOS.items()}
    return platforms.get(ratio, Platform.YOUTUBE)


def variant_length(takes: list[Take]) -> int:
    """The shortest of the usual ad lengths that holds the takes (the longest if none does)."""
    seconds = sum(take.duration for take in takes)
    return next((length for length in TARGET_LENGTHS if length >= seconds), TARGET_LENGTHS[-1])


def variants_make(*, user, storyboard: Storyboard, limit: int) -> list[Playlist]:
    """One playlist per combination, the first `limit` of them, all or nothing: the missing
    takes are generated first (refused whole when the budget does not cover them), then the
    playlists are made, named by their parts, their items in part order."""
    project = storyboard.project
    require_action(user=user, team=project.team, action=Action.EDIT)
    with transaction.atomic():
        # One Make at a time per storyboard: a second click plans after the first has made
        # its takes and playlists, so it pays for nothing twice and skips what is made.
        Storyboard.objects.select_for_update().filter(pk=storyboard.pk).first()
        plan = variants_plan(storyboard=storyboard, limit=limit)
        if not plan.marked:
            raise ValidationError(
                "Mark shots as hook, body or call to action first (the Part menu on each "
                "shot): shots of the same part are its alternatives."
            )
        names = [variant_name(storyboard, combination) for combination in plan.combinations]
        made_before = set(
            Playlist.objects.filter(project=project, name__in=names).values_list("name", flat=True)
        )
        if made_before and made_before.issuperset(names):
            raise ValidationError(
                "These variants are made already: open them from the project's playlists, "
                "or raise the bound to make more."
            )
        made: dict[int, Take] = {}
        if plan.missing:
            try:
                new = takes_create(user=user, shots=plan.missing)
            except BudgetExceeded as error:
                raise BudgetExceeded(f"No variants were made. {error.messages[0]}") from None
            made = {take.shot_id: take for take in new}
        playlists = []
        for name, combination in zip(names, plan.combinations, strict=True):
            if name in made_before:
                continue
            takes = [alternative.take or made[alternative.shot.pk] for alternative in combination]
            for take, alternative in zip(takes, combination, strict=True):
                take.shot = alternative.shot  # loaded already: no query each to check it
            playlist = playlist_create(
                user=user,
                project=project,
                name=name,
                platform=variant_platform(takes),
                target_seconds=variant_length(takes),
            )
            playlist_add_takes(user=user, playlist=playlist, takes=takes)
            playlists.append(playlist)
        new_takes = f" and {len(made)} new take{'s' if len(made) != 1 else ''}" if made else ""
        activity_record(
            project=project,
            storyboard=storyboard,
            actor=user,
            verb=Verb.CREATED,
            subject=f"{len(playlists)} variant{'s' if len(playlists) != 1 else ''} of "
            f"{storyboard.title}{new_takes}",
        )
    return playlists
