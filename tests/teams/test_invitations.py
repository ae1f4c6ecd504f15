"""Inviting by email someone without an account: the link, signing up with it, and links that
no longer work."""

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
    return Invitation.objects.get(email=who)


def test_unknown_email_gets_an_invitation_by_mail_and_on_the_page(client, studio):
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
    assert 'value="newcomer@example.com" readonly' in page.text
    response = client.post(url, {"username": "nina", "password1": PASSWORD, "password2": PASSWORD})
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
    invitation = invite(client, studio, role="editor")
    client.force_login(studio.oscar)
    page = client.get(invitation.get_absolute_url())
    assert "Join Acme Creative" in page.text and "you will join with this account" in page.text
    response = client.post(invitation.get_absolute_url())
    assert response.status_code == 302
    assert Membership.objects.get(user=studio.oscar, team=studio.team).role == Role.EDITOR
    # The link is used: opening it again leads the one who accepted to the team.
    assert client.get(invitation.get_absolute_url()).url == response.url


def test_a_member_already_in_the_team_is_told_and_the_link_stays_usable(client, studio):
    invitation = invite(client, studio, role="owner")
    client.force_login(studio.vera)
    page = client.get(invitation.get_absolute_url())
    assert "You are already in Acme Creative as viewer." in page.text
    client.post(invitation.get_absolute_url())
    assert Membership.objects.get(user=studio.vera, team=studio.team).role == Role.VIEWER
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_visitor_whose_email_has_an_account_is_asked_to_log_in(client, studio):
    invitation = Invitation.objects.create(team=studio.team, email="oscar@example.com")
    page = client.get(invitation.get_absolute_url())
    assert "Log in to accept" in page.text
    response = client.post(
        invitation.get_absolute_url(),
        {"username": "oscar2", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="oscar2").exists()


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
    invitation = invite(client, studio)
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
