"""Crafted input answers 4xx with a message, never a 500: malformed ids, numbers, dates, ranges
and oversized fields, thrown at every URL of the URL table (tests/urls_table.py)."""

from contextlib import contextmanager

import pytest
from django.db import transaction
from django.test import Client

from studio.review.models import ShareLink
from tests.urls_table import GUEST_ROUTES, TEAM_ROUTES, Route

pytestmark = pytest.mark.django_db

BAD_VALUES = [
    "abc",
    "²",  # a digit to str.isdigit(), not to int()
    "-62135596800",  # before year 1
    "1e999",
    "nan",
    "9" * 5000,
    "\x00",
    "x" * 200_000,
]
# The query and form fields the views read, beside each route's own.
FIELDS = [
    "video_model", "since", "before", "storyboard", "kind", "edit", "download", "duration",
    "take", "shot", "item", "direction", "state", "days", "resolved", "next", "scope", "name",
    "role", "who", "body", "at_seconds", "budget", "trim_in", "trim_out", "csv_text", "prompt",
]  # fmt: skip
MEDIA = {"take_video", "take_poster", "export_download", "share_take_video", "share_export_video"}
HUGE_RANGE = "bytes=" + "9" * 5000 + "-"


@contextmanager
def fresh_world():
    """Each route meets the world as the table built it: what it changed is rolled back."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def own_fields(route: Route, studio, world) -> list[str]:
    data = route.data(studio, world) if callable(route.data) else route.data or {}
    return list(data)


def crafted(route: Route, studio, world):
    """Each bad value in every field at once, then in each of the route's own fields alone
    (with its other fields as the table sends them)."""
    good = route.data(studio, world) if callable(route.data) else dict(route.data or {})
    for value in BAD_VALUES:
        yield dict.fromkeys(FIELDS, value)
        for field in own_fields(route, studio, world):
            yield good | {field: value}


def send(client: Client, route: Route, world, data: dict, token=None, **headers):
    return getattr(client, route.method)(route.url(world, token), data, headers=headers)


def crash(route: Route, response, sent: str) -> tuple[str, str, str]:
    """Where it broke, what was sent, and the error, for a readable failure."""
    error = response.exc_info[1] if response.exc_info else response.status_code
    return str(route), sent, repr(error)[:160]


def shown(data: dict) -> str:
    return " ".join(f"{key}={str(value)[:8]!r}" for key, value in data.items())


def test_no_team_url_answers_500_to_crafted_input(studio, world):
    client = Client(raise_request_exception=False)
    client.force_login(studio.alice)  # the owner: every check is passed but the input's
    crashes = []
    for route in TEAM_ROUTES:
        with fresh_world():  # what an earlier route deleted cannot hide a crash in this one
            for data in crafted(route, studio, world):
                for headers in ({}, {"HX-Request": "true"}):
                    response = send(client, route, world, data, **headers)
                    if response.status_code >= 500:
                        crashes.append(crash(route, response, shown(data)))
                        break
            if route.name in MEDIA:
                response = send(client, route, world, {}, Range=HUGE_RANGE)
                if response.status_code >= 500:
                    crashes.append(crash(route, response, "Range"))
    assert crashes == [], "\n".join(map(str, crashes))


def test_no_guest_url_answers_500_to_crafted_input(studio, world):
    link = ShareLink.objects.get(uuid=world["share_link"])
    client = Client(raise_request_exception=False)
    client.post(Route("post", "share_name").url(world, link.token), {"name": "Clara"})
    crashes = []
    for route in GUEST_ROUTES:
        if route.name.startswith("invitation"):
            continue  # opened by an invitation's token: tests/teams/test_invitations.py
        with fresh_world():
            for data in crafted(route, studio, world):
                response = send(client, route, world, data, token=link.token)
                if response.status_code >= 500:
                    crashes.append(crash(route, response, shown(data)))
            if route.name in MEDIA:
                response = send(client, route, world, {}, token=link.token, Range=HUGE_RANGE)
                if response.status_code >= 500:
                    crashes.append(crash(route, response, "Range"))
    assert crashes == [], "\n".join(map(str, crashes))
