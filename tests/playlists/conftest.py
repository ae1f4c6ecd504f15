from decimal import Decimal

import pytest

from studio.generation.models import Clip, ClipStatus
from studio.playlists.models import Playlist
from studio.projects.models import Shot


def make_take(shot: Shot, number: int = 1, *, status=ClipStatus.COMPLETED, ratio="16:9", length=4):
    return Clip.objects.create(
        shot=shot,
        take_number=number,
        video_model=shot.video_model,
        prompt=shot.prompt,
        duration=length,
        aspect_ratio=ratio,
        estimated_cost=Decimal("0.40") * length,
        billed_cost=Decimal("0.40") * length if status == ClipStatus.COMPLETED else None,
        status=status,
        video_duration=Decimal(length) if status == ClipStatus.COMPLETED else None,
        resolution="1280x720" if ratio == "16:9" else "720x1280",
    )


@pytest.fixture
def shots(studio) -> list[Shot]:
    extra = [
        Shot.objects.create(
            storyboard=studio.storyboard,
            position=n,
            prompt=f"Shot {n} prompt",
            duration=4,
            aspect_ratio="16:9",
            video_model=studio.veo,
        )
        for n in (2, 3)
    ]
    return [studio.shot, *extra]


@pytest.fixture
def takes(shots) -> list[Clip]:
    return [make_take(shot) for shot in shots]


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
