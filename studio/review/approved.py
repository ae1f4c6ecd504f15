"""What review hands on to the playlists: each shot's approved take, and "Add all approved
takes" of a storyboard to a playlist."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from studio.generation.models import Take, TakeStatus
from studio.playlists.models import Playlist, PlaylistItem
from studio.playlists.services import playlist_add_takes
from studio.projects.models import Storyboard, visible_shots
from studio.teams.models import Action
from studio.teams.services import require_action

from .decisions import state_of
from .models import ReviewState
from .services import decisions_prefetch


@dataclass
class ApprovedTakes:
    takes: list[Take]
    skipped: int  # shots with no approved take


def storyboard_approved_takes(storyboard: Storyboard) -> ApprovedTakes:
    """Each shot's approved take, in shot order: its selected take if that is approved, else
    its latest approved one. Shots with none are skipped and counted (three queries)."""
    takes = (
        Take.objects.filter(
            visible_shots("shot__"), shot__storyboard=storyboard, status=TakeStatus.COMPLETED
        )
        .select_related("shot__storyboard")
        .prefetch_related(decisions_prefetch())
        .order_by("shot__position", "shot__created_at", "take_number")
    )
    chosen: dict[int, Take] = {}
    for take in takes:
        decisions = take.prefetched_decisions  # type: ignore[attr-defined]  # the prefetch's
        if state_of(decisions) != ReviewState.APPROVED:
            continue
        # Later takes replace earlier ones, unless the one held is the shot's selected take.
        held = chosen.get(take.shot_id)
        if held is None or held.pk != take.shot.selected_take_id:
            chosen[take.shot_id] = take
    shot_count = storyboard.shots.count()
    return ApprovedTakes(takes=list(chosen.values()), skipped=shot_count - len(chosen))


def playlist_add_storyboard(
    *, user, playlist: Playlist, storyboard: Storyboard
) -> tuple[list[PlaylistItem], int]:
    """Add all approved takes: the items added, and how many shots were skipped."""
    require_action(user=user, team=playlist.project.team, action=Action.EDIT)
    approved = storyboard_approved_takes(storyboard)
    if not approved.takes:
        raise ValidationError(
            f"{storyboard.title} has no approved takes yet: approve takes on the storyboard first."
        )
    items = playlist_add_takes(user=user, playlist=playlist, takes=approved.takes)
    return items, approved.skipped
