import pytest
from django.core.files.base import ContentFile

from studio.playlists import services as playlist_services
from studio.playlists.models import PlaylistItem


@pytest.fixture
def items(studio, playlist, takes) -> list[PlaylistItem]:
    for take in takes:
        take.video.save("take.mp4", ContentFile(b"0123456789" * 10))
    return playlist_services.playlist_add_takes(user=studio.bob, playlist=playlist, takes=takes)
