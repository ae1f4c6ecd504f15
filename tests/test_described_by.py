"""Every id a page's markup points to (aria-describedby, aria-labelledby, aria-controls, a
label's for) is on the page, once: a screen reader reads a field's help and errors only
through them. Every page of tests/urls_table.py that shows HTML, as an owner, and the forms
sent wrong, so that their errors are on the page."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from studio.review.models import ShareLink
from tests.urls_table import ACCOUNT_ROUTES, TEAM_ROUTES

pytestmark = pytest.mark.django_db

REFERENCES = ("aria-describedby", "aria-labelledby", "aria-controls", "for")


class References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.references: list[tuple[str, str, str]] = []  # (tag, attribute, id)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name in REFERENCES and value and tag != "output":
                self.references += [(tag, name, ref) for ref in value.split()]

    handle_startendtag = handle_starttag


def broken_references(html: str) -> list[str]:
    parser = References()
    parser.feed(html)
    problems = [
        f"<{tag} {name}={ref!r}> names no element"
        for tag, name, ref in parser.references
        if ref not in parser.ids
    ]
    twice = sorted({i for i in parser.ids if parser.ids.count(i) > 1})
    return problems + [f"id {i!r} is on the page more than once" for i in twice]


def assert_references_hold(response, where: str) -> None:
    assert response.status_code == 200, where
    assert broken_references(response.text) == [], where


def test_the_checker_finds_a_missing_and_a_doubled_id():
    page = '<label for="a">A</label><input id="b" aria-describedby="b_helptext"><p id="b"></p>'
    assert broken_references(page) == [
        "<label for='a'> names no element",
        "<input aria-describedby='b_helptext'> names no element",
        "id 'b' is on the page more than once",
    ]


def test_every_page_as_an_owner(client, studio, world):
    client.force_login(studio.alice)
    for route in TEAM_ROUTES + ACCOUNT_ROUTES:
        if route.method != "get":
            continue
        response = route.send(client, studio, world)
        # A fragment's URL opened without htmx redirects to its page, which is walked too.
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            assert_references_hold(response, str(route))


def test_the_share_pages_as_a_guest(client, studio, world):
    for link in ShareLink.objects.all():
        open_link = reverse("share_open", args=[link.token])
        assert_references_hold(client.get(open_link), "the name form")
        client.post(reverse("share_name", args=[link.token]), {"name": "   "})
        assert_references_hold(
            client.post(reverse("share_name", args=[link.token]), {"name": "   "}), "no name"
        )
        client.post(reverse("share_name", args=[link.token]), {"name": "Clara"})
        assert_references_hold(client.get(open_link), "the shared page")


FORMS_SENT_WRONG = [
    ("team_create", None, {"name": ""}),
    ("project_create", None, {"name": "", "budget": "-1"}),
    ("password_change", None, {"old_password": "wrong", "new_password1": "a"}),
    ("storyboard_create", "project", {"title": ""}),
    ("playlist_create", "project", {"name": "", "length": "x"}),
    ("team_invite", "team", {"who": "", "role": "nobody"}),
    ("brand_kit_create", "team", {"name": "", "primary_colour": "red"}),
    ("storyboard_import", "storyboard", {"csv_text": "nonsense"}),
]


@pytest.mark.parametrize("name, target, data", FORMS_SENT_WRONG)
def test_a_form_sent_wrong_points_to_its_errors(client, studio, world, name, target, data):
    client.force_login(studio.alice)
    url = reverse(name, args=[world[target]] if target else [])
    response = client.post(url, data)
    assert response.status_code == 200, name
    assert 'aria-invalid="true"' in response.text, name
    assert_references_hold(response, name)


def test_login_sent_wrong(client, studio):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})
    assert_references_hold(response, "login")
