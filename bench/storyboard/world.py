"""The storyboard bench's world: one team, one storyboard of shots with completed takes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

EDITOR_EVERY = 5  # members 1, 6, 11, ... edit; the others only view


@dataclass
class World:
    storyboard: str  # its UUID, as the URLs carry it
    shots: int
    takes: int
    shot_ids: list[int]
    editor_id: int
    sessions: list[str]  # one session cookie per member

    @property
    def viewer(self) -> str:
        return self.sessions[0]

    @property
    def editor(self) -> str:
        return self.sessions[1]  # member 1 is the first editor (EDITOR_EVERY)


def build_world(*, shots: int, takes: int, members: int) -> World:
    """The shapes the studio makes: members with roles, shots, completed takes. Everything is
    dated an hour back, so that the live view's first answers carry no change."""
    # Imported here: this module is loaded before django.setup() when run as a script.
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User

    from studio.catalog.models import VideoModel
    from studio.generation.models import Take, TakeStatus
    from studio.projects.models import Project, Shot, Storyboard
    from studio.teams.models import Membership, Role, Team

    veo = VideoModel.objects.get(slug="google/veo-3.1")
    team = Team.objects.create(name="Bench team")
    users = User.objects.bulk_create(
        # Unusable passwords: sessions are made directly, and hashing 50 would take seconds.
        User(username=f"member-{index:02}", password=make_password(None))
        for index in range(members)
    )
    roles = [Role.EDITOR if index % EDITOR_EVERY == 1 else Role.VIEWER for index in range(members)]
    Membership.objects.bulk_create(
        Membership(team=team, user=user, role=role) for user, role in zip(users, roles, strict=True)
    )
    project = Project.objects.create(
        team=team, name="Bench", budget=Decimal("10000.00"), created_by=users[0]
    )
    storyboard = Storyboard.objects.create(project=project, title="Bench storyboard")
    made = Shot.objects.bulk_create(
        Shot(
            storyboard=storyboard,
            position=position,
            title=f"Shot {position}",
            prompt=f"A lemonade stand at noon, slow dolly in, variation {position}",
            duration=4,
            aspect_ratio="16:9",
            video_model=veo,
        )
        for position in range(1, shots + 1)
    )
    Take.objects.bulk_create(
        Take(
            shot=shot,
            take_number=number,
            video_model=veo,
            prompt=shot.prompt,
            duration=4,
            aspect_ratio="16:9",
            estimated_cost=veo.cost_for(4),
            billed_cost=veo.cost_for(4),
            status=TakeStatus.COMPLETED,
            resolution="1280x720",
            video_duration=4,
        )
        for shot in made
        for number in range(1, takes + 1)
    )
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Shot.objects.filter(storyboard=storyboard).update(updated_at=an_hour_ago)
    Take.objects.filter(shot__storyboard=storyboard).update(updated_at=an_hour_ago)
    return World(
        storyboard=str(storyboard.uuid),
        shots=shots,
        takes=takes,
        shot_ids=[shot.pk for shot in made],
        editor_id=users[roles.index(Role.EDITOR)].pk,
        sessions=[log_in(user) for user in users],
    )


def log_in(user) -> str:
    """A session as the login form makes one; its cookie value."""
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def edit_shot(world: World, number: int) -> None:
    """What Save on a shot's edit form does, through the same service."""
    from django.contrib.auth.models import User

    from studio.projects import services
    from studio.projects.models import Shot

    try:
        shot = Shot.objects.select_related("storyboard__project", "video_model").get(
            pk=world.shot_ids[number % len(world.shot_ids)]
        )
        services.shot_update(
            user=User.objects.get(pk=world.editor_id),
            shot=shot,
            base_version=shot.version,
            prompt=f"{shot.prompt.split(', edit')[0]}, edit {number}",
            duration=shot.duration,
            aspect_ratio=shot.aspect_ratio,
            video_model=shot.video_model,
            title=shot.title,
        )
    finally:
        # Runs in a pool thread: a connection left open there would keep PostgreSQL from
        # dropping the bench's database at the end.
        connection.close()
