"""The role walk: every URL of tests/urls_table.py's TEAM_ROUTES, with every role of the team.
What a role may not do answers 403 and changes nothing; what it may do works and changes
what the route says it changes (a refusal that answers 200 with an alert does not count).
The outsider's walk is in tests/test_access.py."""

import pytest

from studio.teams.models import ROLE_ACTIONS
from tests.urls_table import TEAM_ROUTES, snapshot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["owner", "editor", "reviewer", "viewer"])
def test_every_team_url_with_every_role(client, studio, world, role):
    user = {"owner": studio.alice, "editor": studio.bob, "reviewer": studio.rita}.get(
        role, studio.vera
    )
    client.force_login(user)
    for route in TEAM_ROUTES:
        before = snapshot(client)
        response = route.send(client, studio, world, htmx=True)
        after = snapshot(client)
        where = f"{role} {route}"
        if route.action not in ROLE_ACTIONS[role]:
            assert response.status_code == 403, where
            assert after == before, where
            continue
        assert response.status_code in (200, 204, 206, 302), where
        refusal = response.get("HX-Retarget")
        assert refusal is None, f"{where} was refused in {refusal}: {response.text}"
        if route.changes:
            assert after[route.changes] != before[route.changes], f"{where} changed nothing"
