"""Finished takes with real videos (the simulator's renderer) and posters, for the browser tests
that play, seek or compare them."""

from decimal import Decimal
from pathlib import Path

from django.core.files import File

from devtools.simulator.video import VideoRenderer
from studio.generation.media import make_poster
from studio.generation.models import Take
from studio.projects.models import Shot
from tests.factories import make_take


def rendered_takes(shots: list[Shot], tmp_path: Path, *, length: int = 4, **fields) -> list[Take]:
    """A finished take of each shot (a shot named twice gets two), `length` seconds at 320x180,
    rendered side by side; `fields` as make_take takes them."""
    folder = tmp_path / "renders"
    folder.mkdir(exist_ok=True)
    renderer = VideoRenderer(folder)
    try:
        renders = [
            renderer.render(
                prompt=f"Shot {shot.position}, take {n}", duration=length, width=320, height=180
            )
            for n, shot in enumerate(shots, start=1)
        ]
        takes = []
        for n, (shot, render) in enumerate(zip(shots, renders, strict=True), start=1):
            take = make_take(shot, length=length, **fields)
            video = render.result(timeout=120)
            with video.open("rb") as handle:
                take.video.save("take.mp4", File(handle))
            poster = folder / f"poster-{n}.jpg"
            make_poster(video, poster, at_seconds=Decimal("1"))
            with poster.open("rb") as handle:
                take.poster.save("poster.jpg", File(handle))
            takes.append(take)
    finally:
        renderer.close()
    return takes
