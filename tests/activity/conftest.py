from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from studio.activity.models import Activity, Verb
from studio.generation.models import Clip, ClipStatus
from studio.playlists.models import Playlist
from studio.projects.models import Shot, Storyboard

HTMX = {"HTTP_HX_REQUEST": "true"}


def take(shot: Shot, cost: str, *, finished: datetime | None = None, status=ClipStatus.COMPLETED):
    """A take of `shot` that cost `cost` (billed when completed), finished at `finished`."""
    number = (shot.takes.count() or 0) + 1
    done = status == ClipStatus.COMPLETED
    return Clip.objects.create(
        shot=shot,
        take_number=number,
        video_model=shot.video_model,
        prompt=shot.prompt,
        duration=4,
        aspect_ratio="16:9",
        estimated_cost=Decimal(cost),
        billed_cost=Decimal(cost) if done else None,
        status=status,
        finished_at=finished if done else None,
    )


def days_ago(days: int, hour: int = 12) -> datetime:
    today = timezone.localdate()
    return datetime.combine(today - timedelta(days=days), datetime.min.time(), UTC).replace(
        hour=hour
    )


def line(project, subject: str, *, at: datetime, verb=Verb.EDITED, storyboard=None, cost=None):
    activity = Activity.objects.create(
        project=project,
        storyboard=storyboard,
        actor_name="alice",
        verb=verb,
        subject=subject,
        cost=cost,
    )
    # auto_now_add ignores a given time: set it afterwards, as the log would have it.
    Activity.objects.filter(pk=activity.pk).update(created_at=at)
    return activity


@pytest.fixture
def second_storyboard(studio) -> Storyboard:
    storyboard = Storyboard.objects.create(project=studio.project, title="Teaser")
    Shot.objects.create(
        storyboard=storyboard,
        position=1,
        prompt="A glass of lemonade on a sunny table",
        duration=4,
        aspect_ratio="16:9",
        video_model=studio.veo,
    )
    return storyboard


@pytest.fixture
def playlist(studio) -> Playlist:
    return Playlist.objects.create(
        project=studio.project,
        name="Hero 15",
        platform="youtube",
        aspect_ratio="16:9",
        target_seconds=15,
        created_by=studio.alice,
    )
