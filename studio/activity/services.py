"""Writing the activity log: every app may, so this imports none of them (the project and
storyboard types are for the type checker only)."""

from decimal import Decimal
from typing import TYPE_CHECKING

from .models import Activity, Verb

if TYPE_CHECKING:
    from studio.generation.models import Take
    from studio.projects.models import Project, Shot, Storyboard


def activity_record(
    *,
    project: "Project",
    verb: Verb,
    subject: str,
    actor=None,
    actor_name: str = "",
    storyboard: "Storyboard | None" = None,
    cost: Decimal | None = None,
    shot: "Shot | None" = None,
    take: "Take | None" = None,
) -> Activity:
    """Write one line of the log. Call it inside the transaction of the change it describes,
    so a rolled-back change leaves no line behind. A line about a take names its shot too."""
    if take is not None and shot is None:
        shot = take.shot
    return Activity.objects.create(
        project=project,
        storyboard=storyboard,
        actor=actor,
        actor_name=actor_name or (actor.get_username() if actor else "someone"),
        verb=verb,
        subject=subject[:300],
        cost=cost,
        shot=shot,
        shot_number=shot.position if shot is not None else None,
        take=take,
    )
