from decimal import Decimal

from django.db import transaction
from django.db.models import Max

from studio.catalog.models import VideoModel
from studio.teams.models import Action, Team
from studio.teams.services import require_action

from .models import Project, Shot, Storyboard, validate_prompt


def project_create(*, user, team: Team, name: str, client: str, budget: Decimal) -> Project:
    require_action(user=user, team=team, action=Action.MANAGE)
    return Project.objects.create(
        team=team, name=name, client=client, budget=budget, created_by=user
    )


def storyboard_create(*, user, project: Project, title: str) -> Storyboard:
    require_action(user=user, team=project.team, action=Action.EDIT)
    return Storyboard.objects.create(project=project, title=title)


@transaction.atomic
def shot_create(
    *,
    user,
    storyboard: Storyboard,
    prompt: str,
    duration: int,
    aspect_ratio: str,
    video_model: VideoModel,
    notes: str = "",
) -> Shot:
    require_action(user=user, team=storyboard.project.team, action=Action.EDIT)
    validate_prompt(prompt)
    video_model.validate_request(duration=duration, aspect_ratio=aspect_ratio)
    last = storyboard.shots.aggregate(last=Max("position"))["last"] or 0
    return Shot.objects.create(
        storyboard=storyboard,
        position=last + 1,
        prompt=prompt,
        duration=duration,
        aspect_ratio=aspect_ratio,
        video_model=video_model,
        notes=notes,
    )
