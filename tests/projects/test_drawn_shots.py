"""The shots as drawn are shared between members (cached per version and rights), and yet
every answer's forms carry that answer's own CSRF token, which the server still checks."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from studio.generation.models import TakeStatus
from studio.projects.fragments import CSRF_SLOT
from tests.factories import make_take

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def list_page(client: Client, studio) -> str:
    url = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    return client.get(url, {"view": "list"}).text


def test_each_answer_carries_its_own_token_in_the_shared_cards(studio):
    make_take(studio.shot)
    pages = []
    for user in (studio.bob, studio.alice):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        pages.append((client, list_page(client, studio)))
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
