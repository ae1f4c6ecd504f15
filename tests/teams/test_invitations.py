"""Inviting someone: nobody joins until the invited person accepts, in the studio or by the
link (with which someone without an account signs up); links that no longer work."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from studio.teams.models import Invitation, Membership, Role
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def invite(client, studio, who="newcomer@example.com", role="reviewer"):
    client.force_login(studio.alice)
    response = client.post(
        reverse("team_invite", args=[studio.team.uuid]), {"who": who, "role": role}
    )
    assert response.status_code == 302
    return Invitation.objects.get(**{"email" if "@" in who else "username": who})


def test_unknown_email_gets_an_invitation_by_mail_and_on_the_page(
    client, studio, django_capture_on_commit_callbacks, eager_tasks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(client, studio)
    assert invitation.role == Role.REVIEWER
    assert invitation.invited_by == studio.alice
    assert timedelta(days=13) < invitation.expires_at - timezone.now() <= timedelta(days=14)
    link = f"http://testserver/invite/{invitation.token}/"
    [message] = mail.outbox
    assert message.to == ["newcomer@example.com"]
    assert "alice invited you to Acme Creative" in message.subject
    assert link in message.body
    page = client.get(reverse("team_detail", args=[studio.team.uuid]))
    assert "Invitation sent to newcomer@example.com" in page.text
    assert f'value="{link}"' in page.text


def test_inviting_the_same_email_twice_says_it_is_pending(client, studio):
    invite(client, studio)
    page = client.post(
        reverse("team_invite", args=[studio.team.uuid]),
        {"who": "NEWCOMER@example.com", "role": "editor"},
    )
    assert "already has a pending invitation" in page.text
    assert Invitation.objects.count() == 1


def test_a_visitor_signs_up_with_the_link_and_joins_with_the_role(client, studio):
    invitation = invite(client, studio)
    client.logout()
    url = invitation.get_absolute_url()
    page = client.get(url)
    assert page.status_code == 200
    assert "Join Acme Creative" in page.text
    assert 'value="newcomer@example.com"' in page.text  # the address starts as the invited one
    response = client.post(
        url,
        {
            "username": "nina",
            "email": "newcomer@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("team_detail", args=[studio.team.uuid])
    nina = User.objects.get(username="nina")
    assert nina.email == "newcomer@example.com"
    assert Membership.objects.get(user=nina).role == Role.REVIEWER  # no personal team besides
    invitation.refresh_from_db()
    assert invitation.accepted_by == nina and invitation.accepted_at
    page = client.get(response.url)  # logged in as nina, the team is her current one
    assert "Welcome to Acme Creative: you joined as reviewer." in page.text
    assert "Acme Creative" in client.get(reverse("dashboard")).text


def test_signup_errors_keep_what_was_typed_and_create_nothing(client, studio):
    invitation = invite(client, studio)
    client.logout()
    page = client.post(
        invitation.get_absolute_url(),
        {"username": "bob", "password1": PASSWORD, "password2": "something else"},
    )
    assert page.status_code == 200
    assert "A user with that username already exists." in page.text
    assert 'value="bob"' in page.text
    assert User.objects.count() == 5
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_logged_in_user_accepts_and_joins(client, studio):
    invitation = invite(client, studio, who="oscar@example.com", role="editor")
    client.force_login(studio.oscar)
    page = client.get(invitation.get_absolute_url())
    assert "Join Acme Creative" in page.text
    response = client.post(invitation.get_absolute_url())
    assert response.status_code == 302
    assert Membership.objects.get(user=studio.oscar, team=studio.team).role == Role.EDITOR
    # The link is used: opening it again leads the one who accepted to the team.
    assert client.get(invitation.get_absolute_url()).url == response.url


def test_a_member_already_in_the_team_is_told_and_the_link_stays_usable(client, studio):
    invitation = invite(client, studio, who="vera@example.com", role="owner")
    client.force_login(studio.vera)
    page = client.get(invitation.get_absolute_url())
    assert "You are already in Acme Creative as viewer." in page.text
    client.post(invitation.get_absolute_url())
    assert Membership.objects.get(user=studio.vera, team=studio.team).role == Role.VIEWER
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_expired_link_shows_a_clear_page(client, studio):
    invitation = invite(client, studio)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    client.logout()
    page = client.get(invitation.get_absolute_url())
    assert page.status_code == 410
    assert "This invitation has expired" in page.text
    response = client.post(
        invitation.get_absolute_url(),
        {"username": "nina", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 410
    assert not User.objects.filter(username="nina").exists()


def test_revoked_link_shows_a_clear_page(client, studio):
    invitation = invite(client, studio)
    response = client.post(reverse("invitation_revoke", args=[invitation.uuid]), **HTMX)
    assert response.status_code == 200 and response.text == ""
    client.force_login(studio.oscar)
    page = client.post(invitation.get_absolute_url())
    assert page.status_code == 410
    assert "This invitation was withdrawn" in page.text
    assert not Membership.objects.filter(user=studio.oscar, team=studio.team).exists()


def test_used_link_shows_a_clear_page_to_anyone_else(client, studio):
    invitation = invite(client, studio, who="oscar@example.com")
    client.force_login(studio.oscar)
    client.post(invitation.get_absolute_url())
    client.logout()
    page = client.get(invitation.get_absolute_url())
    assert page.status_code == 410
    assert "already been used" in page.text


def test_tampered_token_shows_a_clear_page(client, studio):
    invitation = invite(client, studio)
    client.logout()
    tampered = reverse("invitation_accept", args=[invitation.token[:-1] + "x"])
    page = client.post(tampered, {"username": "nina", "password1": PASSWORD, "password2": PASSWORD})
    assert page.status_code == 404
    assert "This invitation link does not work" in page.text
    assert not User.objects.filter(username="nina").exists()


def test_revoked_invitation_leaves_the_team_page(client, studio):
    invitation = invite(client, studio)
    response = client.post(reverse("invitation_revoke", args=[invitation.uuid]))
    page = client.get(response.url)
    assert "The invitation to newcomer@example.com is revoked." in page.text
    assert f"/invite/{invitation.token}/" not in page.text


def test_an_accepted_invitation_cannot_be_revoked(client, studio):
    invitation = invite(client, studio)
    Invitation.objects.update(accepted_at=timezone.now())
    response = client.post(reverse("invitation_revoke", args=[invitation.uuid]))
    assert "has already accepted" in client.get(response.url).text
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


# -- Consent: an invitation is pending until the invited account accepts it


def test_until_accepted_the_invitee_sees_nothing_of_the_team(client, studio):
    invitation = invite(client, studio, who="oscar", role="owner")
    client.force_login(studio.oscar)
    assert client.get(reverse("team_detail", args=[studio.team.uuid])).status_code == 404
    assert client.post(reverse("team_switch", args=[studio.team.uuid])).status_code == 404
    assert "Summer launch" not in client.get(reverse("dashboard")).text
    url = reverse("project_detail", args=[studio.project.uuid])
    assert client.get(url).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_invitee_sees_pending_invitations_on_the_teams_page_in_five_queries(
    client, studio, django_assert_num_queries
):
    invite(client, studio, who="oscar", role="editor")
    # By email: answered with its link only, whatever address the account has.
    invite(client, studio, who="oscar@example.com", role="viewer")
    client.force_login(studio.oscar)
    # user, the user's memberships with their teams, the invitations addressed to the
    # user with their teams and inviters, and the generation-pause banner.
    with django_assert_num_queries(4):
        page = client.get(reverse("team_list"))
    assert page.text.count('/accept/">') == 1
    assert page.text.count('/decline/">') == 1
    assert "role-editor" in page.text and "role-viewer" not in page.text


def test_accepting_in_the_studio_joins_with_the_role_and_makes_it_current(client, studio):
    invitation = invite(client, studio, who="oscar", role="owner")
    client.force_login(studio.oscar)
    response = client.post(reverse("invitation_join", args=[invitation.uuid]))
    assert response.url == reverse("team_detail", args=[studio.team.uuid])
    assert Membership.objects.get(user=studio.oscar, team=studio.team).role == Role.OWNER
    assert "Summer launch" in client.get(reverse("dashboard")).text


def test_declining_leaves_no_membership_and_the_link_stops_working(client, studio):
    invitation = invite(client, studio, who="oscar")
    client.force_login(studio.oscar)
    response = client.post(reverse("invitation_decline", args=[invitation.uuid]))
    assert response.url == reverse("team_list")
    assert "You declined the invitation to Acme Creative." in client.get(response.url).text
    invitation.refresh_from_db()
    assert invitation.status == "declined"
    assert client.post(invitation.get_absolute_url()).status_code == 410
    assert client.post(reverse("invitation_join", args=[invitation.uuid])).status_code == 404
    assert not Membership.objects.filter(user=studio.oscar, team=studio.team).exists()


@pytest.mark.parametrize("who", ["oscar", "oscar@example.com"])
def test_only_the_invited_account_may_accept_or_decline(client, studio, who):
    invitation = invite(client, studio, who=who, role="owner")
    mallory = User.objects.create_user("mallory", "mallory@example.com")  # holds the link
    client.force_login(mallory)
    for name in ["invitation_join", "invitation_decline"]:
        assert client.post(reverse(name, args=[invitation.uuid])).status_code == 404
    if invitation.username:  # by email, whoever holds the link may answer (test_invitation_links)
        page = client.post(invitation.get_absolute_url())
        assert "This invitation is for another account" in page.text
    assert not Membership.objects.filter(user=mallory, team=studio.team).exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_the_invited_account_accepts_by_the_link(client, studio):
    invitation = invite(client, studio, who="oscar", role="reviewer")
    client.force_login(studio.oscar)
    response = client.post(invitation.get_absolute_url())
    assert response.url == reverse("team_detail", args=[studio.team.uuid])
    assert Membership.objects.get(user=studio.oscar, team=studio.team).role == Role.REVIEWER


def test_a_username_invitation_cannot_be_claimed_by_signing_up_with_that_name(client, studio):
    invitation = invite(client, studio, who="nobody", role="owner")
    client.logout()
    page = client.post(
        invitation.get_absolute_url(),
        {"username": "nobody", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert "Log in as nobody to accept" in page.text
    assert not User.objects.filter(username="nobody").exists()
    assert not Membership.objects.filter(team=studio.team, user__username="nobody").exists()
