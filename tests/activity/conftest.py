import pytest

from studio.projects.models import Storyboard
from tests.factories import make_shot


@pytest.fixture
def second_storyboard(studio) -> Storyboard:
    storyboard = Storyboard.objects.create(project=studio.project, title="Teaser")
    make_shot(storyboard, 1, video_model=studio.veo, prompt="A glass of lemonade on a sunny table")
    return storyboard
