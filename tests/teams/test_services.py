"""The teams services check the acting user's role themselves: a caller other than the views
(a task, the admin, a test) cannot skip the check. Only an owner may manage; anyone else, in
the team or not, is refused and nothing changes."""

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from studio.teams import services
from studio.teams.models import Invitation, Membership, Role

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[list, list]:
    memberships = Membership.objects.order_by("pk").values_list("team", "user", "role")
    invitations = Invitation.objects.order_by("pk").values_list("email", "role", "revoked_at")
    return list(memberships), list(invitations)


def calls(studio) -> dict[str, Callable]:
    """Each managing service of the team, as `user` would call it."""
    team = studio.team
    bob = Membership.objects.get(team=team, user=studio.bob)
    invitation = Invitation.objects.create(team=team, email="new@example.com")
    return {
        "team_invite by username": lambda user: services.team_invite(
            user=user, team=team, who="oscar", role=Role.VIEWER
        ),
        "team_invite by email": lambda user: services.team_invite(
            user=user, team=team, who="other@example.com", role=Role.VIEWER
        ),
        "membership_set_role": lambda user: services.membership_set_role(
            user=user, membership=bob, role=Role.OWNER
        ),
        "membership_remove": lambda user: services.membership_remove(user=user, membership=bob),
        "invitation_revoke": lambda user: services.invitation_revoke(
            user=user, invitation=invitation
        ),
    }


@pytest.mark.parametrize("who", ["bob", "rita", "vera", "oscar"])
def test_every_teams_service_refuses_anyone_but_an_owner(studio, who):
    user = getattr(studio, who)  # editor, reviewer, viewer, outsider
    for name, call in calls(studio).items():
        before = snapshot()
        with pytest.raises(PermissionDenied):
            call(user)
        assert snapshot() == before, f"{who}: {name} changed something"


def test_a_refused_role_is_refused_before_its_input_is_checked(studio):
    bob = Membership.objects.get(team=studio.team, user=studio.bob)
    with pytest.raises(PermissionDenied):
        services.membership_set_role(user=studio.vera, membership=bob, role="boss")
    with pytest.raises(PermissionDenied):
        services.team_invite(user=studio.vera, team=studio.team, who="nobody", role=Role.VIEWER)


def test_the_owner_may_use_every_teams_service(studio):
    for name, call in calls(studio).items():
        before = snapshot()
        call(studio.alice)
        assert snapshot() != before, f"{name} changed nothing"


def test_an_unknown_role_is_refused_and_nobody_is_invited(studio):
    with pytest.raises(ValidationError, match="Choose one of the roles"):
        services.team_invite(user=studio.alice, team=studio.team, who="oscar", role="boss")
    assert not Invitation.objects.exists()


def test_two_accepts_racing_into_one_team_answer_already_in_it(studio, monkeypatch):
    """One invitation by email, one by username: both pass the membership check, and the second
    membership hits the unique constraint. Simulated by letting the other accept commit its
    membership between the check and the insert."""
    by_email = Invitation.objects.create(team=studio.team, email="oscar@example.com")
    answer = services._answer

    def the_other_accept_lands_first(invitation, **fields):
        answer(invitation, **fields)
        Membership.objects.create(team=studio.team, user=studio.oscar, role=Role.VIEWER)

    monkeypatch.setattr(services, "_answer", the_other_accept_lands_first)
    with pytest.raises(ValidationError, match="You are already in Acme Creative"):
        services.invitation_accept(invitation=by_email, user=studio.oscar, token=by_email.token)
    by_email.refresh_from_db()
    assert by_email.status == "pending"  # this accept was rolled back, the link still works
