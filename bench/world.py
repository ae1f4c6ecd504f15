"""The bench's studio: one team, one owner, one project with a large budget, and one shot per
duration (render times are learned per model and duration). Takes are made the way the
studio's Generate button makes them, through services.take_create."""

import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.auth.models import User

from bench.jobs import DURATIONS
from studio.catalog.models import VideoModel
from studio.generation import services
from studio.generation.models import ACTIVE_STATUSES, Take
from studio.projects.models import Project, Shot, Storyboard
from studio.teams.models import Membership, Role, Team

PROMPT = "A lemonade stand at noon, slow dolly in"  # one prompt: the simulator renders it once


@dataclass
class World:
    user: User
    shots: list[Shot]


def build(name: str) -> World:
    user = User.objects.create_user(f"bench-{name}", password=None)
    team = Team.objects.create(name=f"Bench {name}")
    Membership.objects.create(team=team, user=user, role=Role.OWNER)
    project = Project.objects.create(
        team=team, name=f"Bench {name}", budget=Decimal("9999999999.00"), created_by=user
    )
    storyboard = Storyboard.objects.create(project=project, title="Bench")
    veo = VideoModel.objects.get(slug="google/veo-3.1")
    shots = [
        Shot.objects.create(
            storyboard=storyboard,
            position=position,
            prompt=PROMPT,
            duration=duration,
            aspect_ratio="16:9",
            video_model=veo,
        )
        for position, duration in enumerate(DURATIONS, start=1)
    ]
    return World(user, shots)


def create_takes(world: World, count: int, *, over_seconds: float, deadline: float) -> list[int]:
    """`count` takes, evenly spaced over `over_seconds`, alternating durations; their ids."""
    ids: list[int] = []
    start = time.monotonic()
    gap = over_seconds / count if count else 0
    for index in range(count):
        if time.monotonic() > deadline:
            break
        pause = start + index * gap - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        shot = world.shots[index % len(world.shots)]
        ids.append(services.take_create(user=world.user, shot=shot).pk)
    return ids


def active_count(ids: list[int]) -> int:
    return Take.objects.filter(pk__in=ids, status__in=ACTIVE_STATUSES).count()


def wait_settled(ids: list[int], *, deadline: float) -> int:
    """Wait until none of the takes is active, or the deadline; how many are still active."""
    while True:
        left = active_count(ids)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.25)


def epoch(moment: datetime | None) -> float | None:
    return moment.timestamp() if moment else None
