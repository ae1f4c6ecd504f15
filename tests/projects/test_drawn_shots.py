"""The shots as drawn are shared between members (cached per version and rights), and yet
every answer's forms carry that answer's own CSRF token, which the server still checks."""

import re
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from studio.generation.models import TakeStatus
from studio.projects import fragments
from studio.projects.fragments import CSRF_SLOT
from studio.projects.models import Shot
from tests.factories import make_shot, make_take

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class RecordedCache:
    """The shared cache, with the keys written to it."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    def get(self, key: str, default=None):
        return cache.get(key, default)

    def set(self, key: str, value, timeout: int) -> None:
        self.writes.append(key)
        cache.set(key, value, timeout)


@pytest.fixture
def recorded(monkeypatch) -> RecordedCache:
    recorded = RecordedCache()
    monkeypatch.setattr(fragments, "shared_cache", recorded)
    return recorded


@pytest.fixture
def drawings(monkeypatch) -> list[int]:
    """How many shots each whole drawing of the list drew (one entry per drawing)."""
    counts: list[int] = []
    draw_cards = fragments.draw_cards

    def counted(shots, context):
        pieces = draw_cards(shots, context)
        counts.append(len(pieces))
        return pieces

    monkeypatch.setattr(fragments, "draw_cards", counted)
    return counts


def list_page(client: Client, studio) -> str:
    url = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    return client.get(url, {"view": "list"}).text


def test_each_answer_carries_its_own_token_in_the_shared_cards(studio, drawings):
    make_take(studio.shot)
    pages = []
    for user in (studio.bob, studio.alice):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        pages.append((client, list_page(client, studio)))
    assert drawings == [1]  # the second member's cards came from the cache
    for client, page in pages:
        assert CSRF_SLOT not in page
        tokens = set(TOKEN.findall(page))
        assert len(tokens) == 1  # the page's one token, in every form
        duplicate = reverse("shot_duplicate", args=[studio.shot.uuid])
        # A form sent without JavaScript: its token is the answer's, and it is checked.
        assert client.post(duplicate).status_code == 403
        assert client.post(duplicate, {"csrfmiddlewaretoken": tokens.pop()}).status_code == 302
    assert TOKEN.findall(pages[0][1])[0] != TOKEN.findall(pages[1][1])[0]


def test_cards_whose_takes_tick_are_drawn_for_each_answer(client, studio, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    make_take(studio.shot, status=TakeStatus.RUNNING, submitted_at=timezone.now())
    client.force_login(studio.vera)
    first = list_page(client, studio)
    time_machine.shift(61)
    again = list_page(client, studio)
    assert ">0:00</span> elapsed" in first and ">1:01</span> elapsed" in again


# user, storyboard (+project, team), the user's memberships, default model, models
# count, the storyboard's version (a row of aggregates, the prices: the project has no kit),
# who is here, the gateway's pause banner
PAGE_QUERIES = 9
# ... and the ticking cards' shots (+model), their takes, review decisions and comments
TICKING_QUERIES = 4


def test_only_the_ticking_cards_are_drawn_again_and_nothing_is_written(
    client, studio, recorded, django_assert_num_queries
):
    make_take(studio.shot, status=TakeStatus.RUNNING, submitted_at=timezone.now())
    still = make_shot(studio.storyboard, 2, video_model=studio.veo, prompt="A quiet harbour")
    make_take(still)
    client.force_login(studio.bob)
    first = list_page(client, studio)
    assert len(recorded.writes) == 1
    with django_assert_num_queries(PAGE_QUERIES + TICKING_QUERIES) as queries:
        again = list_page(client, studio)
    assert len(recorded.writes) == 1  # a drawing with a clock in it is not written again
    shots_read = [q["sql"] for q in queries.captured_queries if 'FROM "projects_shot"' in q["sql"]]
    assert any("IN" in sql for sql in shots_read)  # the ticking shot alone
    for page in (first, again):
        assert page.index(f'id="shot-{studio.shot.uuid}"') < page.index(f'id="shot-{still.uuid}"')
        assert "A quiet harbour" in page and "1 take in progress" in page


@pytest.mark.parametrize("view", ["list", "board"])
def test_typed_text_that_reads_like_the_token_s_slot_is_shown_as_typed(client, studio, view):
    typed = "<csrf-token-of-this-answer> csrf-token-of-this-answer"
    Shot.objects.filter(pk=studio.shot.pk).update(title=typed, prompt=f"{typed} at dusk")
    client.force_login(studio.bob)
    url = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    page = client.get(url, {"view": view}).text
    shown = "&lt;csrf-token-of-this-answer&gt; csrf-token-of-this-answer"
    assert shown in page  # the title
    assert CSRF_SLOT not in page
    live = client.get(reverse("storyboard_live", args=[studio.storyboard.uuid]), {"since": ""})
    assert f"{shown} at dusk" in live.text and CSRF_SLOT not in live.text


@pytest.mark.parametrize("name", fragments.DRAWN_FROM)
def test_a_deploy_that_changes_a_drawing_template_moves_the_revision(monkeypatch, name):
    # The live answer's template too: answers drawn before a deploy were served for a minute.
    assert "projects/storyboard_live.html" in fragments.DRAWN_FROM
    before = fragments.template_revision()
    get_template = fragments.get_template

    def deployed(template_name):
        template = get_template(template_name)
        if template_name == name:
            source = template.template.source + "<!-- changed -->"
            template = SimpleNamespace(template=SimpleNamespace(source=source))
        return template

    monkeypatch.setattr(fragments, "get_template", deployed)
    fragments.template_revision.cache_clear()
    try:
        assert fragments.template_revision() != before
    finally:
        fragments.template_revision.cache_clear()
