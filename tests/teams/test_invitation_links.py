"""An invitation by email is answered only with its link: account addresses are never verified,
so an address on an account proves nothing, only the token that reached the mailbox does. The
link page is the same whether or not an account uses the address."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.urls import reverse

from studio.teams.models import Invitation, Membership, Team
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def invite(client, user, team, who):
    client.force_login(user)
    response = client.post(reverse("team_invite", args=[team.uuid]), {"who": who, "role": "owner"})
    assert response.status_code == 302
    return team.invitations.get(**{"email" if "@" in who else "username": who})


def test_an_account_claiming_an_address_cannot_take_its_later_invitations(client, studio):
    # Mallory invites the victim's address to her own team, opens the link logged out and signs
    # up with that address: her account now carries it, unverified.
    mallory_team = Team.objects.create(name="Mallory's")
    bait = Invitation.objects.create(team=mallory_team, email="victim@corp.example")
    client.post(
        bait.get_absolute_url(),
        {
            "username": "mallory",
            "email": "victim@corp.example",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    mallory = User.objects.get(username="mallory")
    assert mallory.email == "victim@corp.example"
    # Later Alice invites the victim to her team: the mail goes to the victim's mailbox.
    invitation = invite(client, studio.alice, studio.team, "victim@corp.example")
    client.force_login(mallory)
    assert "Acme Creative" not in client.get(reverse("team_list")).text
    for name in ["invitation_join", "invitation_decline"]:
        assert client.post(reverse(name, args=[invitation.uuid])).status_code == 404
    assert not Membership.objects.filter(team=studio.team, user=mallory).exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_whoever_holds_an_email_link_may_accept_it_logged_in(client, studio):
    invitation = invite(client, studio.alice, studio.team, "new@example.com")
    client.force_login(studio.oscar)  # another address: the link is what counts
    assert "Join Acme Creative" in client.get(invitation.get_absolute_url()).text
    response = client.post(invitation.get_absolute_url())
    assert response.url == reverse("team_detail", args=[studio.team.uuid])
    assert Membership.objects.filter(team=studio.team, user=studio.oscar).exists()


def test_an_email_link_may_be_declined_with_the_link(client, studio):
    invitation = invite(client, studio.alice, studio.team, "new@example.com")
    client.force_login(studio.oscar)
    response = client.post(invitation.get_absolute_url(), {"answer": "decline"})
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "declined"
    assert not Membership.objects.filter(team=studio.team, user=studio.oscar).exists()


def link_page(client, invitation) -> str:
    client.logout()
    text = client.get(invitation.get_absolute_url()).text
    text = text.replace(invitation.token, "TOKEN").replace(invitation.email, "WHO")
    text = re.sub(r'nonce="[^"]+"', 'nonce="NONCE"', text)
    return re.sub(r"[A-Za-z0-9]{64}", "CSRF", text)


def test_the_link_page_does_not_tell_whether_an_account_uses_the_address(client, studio):
    existing = Invitation.objects.create(
        team=studio.team, email="oscar@example.com", invited_by=studio.alice
    )
    unknown = Invitation.objects.create(
        team=studio.team, email="nobody@example.com", invited_by=studio.alice
    )
    page = link_page(client, existing)
    assert page == link_page(client, unknown)
    assert "Log in to accept" in page and "Create account and join" in page


def test_a_signup_with_an_address_in_use_is_refused_when_submitted(client, studio):
    invitation = Invitation.objects.create(team=studio.team, email="oscar@example.com")
    page = client.post(
        invitation.get_absolute_url(),
        {
            "username": "oscar2",
            "email": "OSCAR@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    assert page.status_code == 200
    assert "Choose another address or log in" in page.text
    assert not User.objects.filter(username="oscar2").exists()
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_invitation_mail_leaves_after_the_commit(
    client, studio, django_capture_on_commit_callbacks, eager_tasks
):
    with django_capture_on_commit_callbacks() as callbacks:
        invite(client, studio.alice, studio.team, "oscar")
        assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()
    [message] = mail.outbox
    assert message.to == ["oscar@example.com"]
