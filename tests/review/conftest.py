from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from studio.playlists import services as playlist_services
from studio.playlists.models import PlaylistItem
from studio.review.models import ShareLink
from tests.playlists.conftest import make_take, playlist, shots, takes  # noqa: F401


@pytest.fixture
def items(studio, playlist, takes) -> list[PlaylistItem]:  # noqa: F811
    for take in takes:
        take.video.save("take.mp4", ContentFile(b"0123456789" * 10))
    return playlist_services.playlist_add_takes(user=studio.bob, playlist=playlist, clips=takes)


def make_link(target, user, *, days: int = 7) -> ShareLink:
    field = "playlist" if hasattr(target, "items") else "storyboard"
    return ShareLink.objects.create(
        **{field: target}, created_by=user, expires_at=timezone.now() + timedelta(days=days)
    )


__all__ = ["make_link", "make_take"]
