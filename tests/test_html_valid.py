"""Every page is valid HTML, as the Nu HTML checker (vnu) reads it, for an owner, a viewer and a
guest: a parser's repair of broken markup is what a screen reader then reads. htmx's own
attributes (hx-*) are the one thing allowed that the HTML standard does not name.

The checker is a Java program; `make test` and `make check` fetch it from the npm registry into
.cache (Makefile: VNU_JAR), pinned to a version and a checksum."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from studio.generation.models import Take
from studio.playlists.models import Playlist
from studio.review import services as review
from studio.review.models import ReviewState, ShareLink
from tests.urls_table import ACCOUNT_ROUTES, TEAM_ROUTES

pytestmark = pytest.mark.django_db

# Where `make` put it; run alone, the newest one fetched.
VNU_JAR = Path(
    os.environ.get("VNU_JAR")
    or max(Path(settings.BASE_DIR, ".cache").glob("vnu-*.jar"), default=".cache/vnu.jar")
)
# What htmx adds to the standard's attributes; nothing else is forgiven.
ALLOWED = re.compile(r"^Attribute “hx-[a-z-]+” not allowed on element")


def pages(client: Client, world: dict) -> dict[str, str]:
    """Every full page a GET of the tables answers with (fragments are parts of a page, checked
    where they are drawn into one)."""
    found = {}
    for route in [*TEAM_ROUTES, *ACCOUNT_ROUTES]:
        if route.method != "get":
            continue
        response = client.get(route.url(world))
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        body = response.content.decode()
        if body.lstrip().lower().startswith("<!doctype html>"):
            found[route.name] = body
    return found


def vnu_errors(pages_by_name: dict[str, str], workdir: Path) -> list[str]:
    if not VNU_JAR.exists():
        pytest.fail(f"The Nu HTML checker is missing at {VNU_JAR}: `make vnu` fetches it.")
    java = shutil.which("java")
    if java is None:
        pytest.fail("The Nu HTML checker needs Java: apt-get install -y default-jre-headless")
    files = []
    for name, body in pages_by_name.items():
        path = workdir / f"{name}.html"
        path.write_text(body)
        files.append(str(path))
    command = [java, "-jar", str(VNU_JAR), "--format", "json", "--errors-only"]
    result = subprocess.run(
        [*command, "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    errors = []
    for message in json.loads(result.stderr)["messages"]:
        if ALLOWED.match(message.get("message", "")):
            continue
        page = Path(message.get("url", "?")).stem
        errors.append(
            f"{page}, line {message.get('lastLine', '?')}: {message.get('message')}"
            f"\n    {message.get('extract', '').strip()}"
        )
    return errors


def test_every_page_is_valid_html_for_an_owner_a_viewer_and_a_guest(studio, world, tmp_path):
    # Decisions on the take and the playlist, so that the review blocks show who decided what.
    take = Take.objects.get(uuid=world["take"])
    playlist = Playlist.objects.get(uuid=world["playlist"])
    review.review_decide(target=take, state=ReviewState.APPROVED, user=studio.rita)
    review.review_decide(target=take, state=ReviewState.CHANGES_REQUESTED, user=studio.alice)
    review.review_decide(target=playlist, state=ReviewState.APPROVED, user=studio.rita)
    found: dict[str, str] = {}
    for user in (studio.alice, studio.vera):
        client = Client()
        client.force_login(user)
        for name, body in pages(client, world).items():
            found[f"{user.get_username()}-{name}"] = body
        # The storyboard opens on the board: its list of cards too.
        storyboard = reverse("storyboard_detail", args=[world["storyboard"]])
        found[f"{user.get_username()}-storyboard-list"] = client.get(
            storyboard, {"view": "list"}
        ).content.decode()
    guest = Client()
    link = ShareLink.objects.get(uuid=world["share_link"])
    found["guest-share"] = guest.get(reverse("share_open", args=[link.token])).content.decode()
    found["anonymous-login"] = Client().get(reverse("login")).content.decode()
    found["missing-page"] = Client().get("/no-such-page/").content.decode()
    assert len(found) > 30  # the tables' pages were found, not an empty walk

    errors = vnu_errors(found, tmp_path)

    assert errors == [], "\n".join(errors)
