"""The team page: who is in the team with which role, and what an owner may change there."""

import pytest
from django.core import mail
from django.urls import reverse

from studio.teams.models import Invitation, Membership, Role

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def role_of(user, team) -> str:
    return Membership.objects.get(user=user, team=team).role


def member(user, team) -> Membership:
    return Membership.objects.get(user=user, team=team)


def test_team_page_lists_members_with_roles_in_six_queries(
    client, studio, django_assert_num_queries
):
    Invitation.objects.create(team=studio.team, email="new@example.com", invited_by=studio.alice)
    client.force_login(studio.alice)
    url = reverse("team_detail", args=[studio.team.uuid])
    # user, the user's memberships with their teams (the page's own membership and the
    # topbar switcher), the team's members with their users, pending invitations, and the
    # generation-pause banner of every page.
    with django_assert_num_queries(5):
        page = client.get(url)
    assert page.status_code == 200
    text = page.text
    for name, role in [("alice", "Owner"), ("bob", "Editor"), ("rita", "Reviewer")]:
        assert name in text and role in text
    assert "new@example.com" in text
    assert "/invite/" in text  # the owner sees the link to copy
    assert 'name="who"' in text


def test_members_who_do_not_manage_see_the_team_but_no_controls(client, studio):
    Invitation.objects.create(team=studio.team, email="new@example.com", invited_by=studio.alice)
    client.force_login(studio.bob)
    page = client.get(reverse("team_detail", args=[studio.team.uuid]))
    assert page.status_code == 200
    assert "vera" in page.text and "new@example.com" in page.text
    assert 'name="who"' not in page.text
    assert 'name="role"' not in page.text
    assert "/invite/" not in page.text  # the secret link is for owners only


def test_outsider_gets_404(client, studio):
    client.force_login(studio.oscar)
    vera = member(studio.vera, studio.team)
    invitation = Invitation.objects.create(team=studio.team, email="x@example.com")
    for method, url in [
        ("get", reverse("team_detail", args=[studio.team.uuid])),
        ("post", reverse("team_switch", args=[studio.team.uuid])),
        ("post", reverse("team_invite", args=[studio.team.uuid])),
        ("post", reverse("member_role", args=[vera.uuid])),
        ("post", reverse("member_remove", args=[vera.uuid])),
        ("post", reverse("invitation_revoke", args=[invitation.uuid])),
    ]:
        assert getattr(client, method)(url, {"role": "owner"}).status_code == 404, url
    assert role_of(studio.vera, studio.team) == Role.VIEWER
    assert not Membership.objects.filter(user=studio.oscar, team=studio.team).exists()


def test_invite_by_username_is_pending_until_accepted_and_mailed(
    client, studio, django_capture_on_commit_callbacks, eager_tasks
):
    client.force_login(studio.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("team_invite", args=[studio.team.uuid]), {"who": "oscar", "role": "owner"}
        )
    assert response.status_code == 302
    assert not Membership.objects.filter(user=studio.oscar, team=studio.team).exists()
    invitation = Invitation.objects.pending().get()
    assert (invitation.username, invitation.role) == ("oscar", Role.OWNER)
    [message] = mail.outbox  # to the account's address, beside the studio's pending list
    assert message.to == ["oscar@example.com"]
    assert "Invitation sent to oscar." in client.get(response.url).text


def test_invite_by_email_of_an_existing_user_is_pending_too(client, studio):
    client.force_login(studio.alice)
    client.post(
        reverse("team_invite", args=[studio.team.uuid]),
        {"who": "OSCAR@example.com", "role": "viewer"},
    )
    assert not Membership.objects.filter(user=studio.oscar, team=studio.team).exists()
    assert Invitation.objects.pending().get().email == "OSCAR@example.com"


@pytest.mark.parametrize(
    ("existing", "unknown"), [("oscar", "nobody"), ("oscar@example.com", "nobody@example.com")]
)
def test_the_answer_does_not_tell_whether_an_account_exists(client, studio, existing, unknown):
    client.force_login(studio.alice)
    url = reverse("team_invite", args=[studio.team.uuid])
    answers = []
    for who in [existing, unknown]:
        response = client.post(url, {"who": who, "role": "editor"})
        assert response.status_code == 302
        page = client.get(response.url).text
        [notice] = [line for line in page.splitlines() if "alert success" in line]
        answers.append(notice.replace(who, "WHO"))
    assert answers[0] == answers[1]
    assert Invitation.objects.pending().count() == 2


def test_inviting_someone_already_in_the_team_says_so(client, studio):
    client.force_login(studio.alice)
    page = client.post(
        reverse("team_invite", args=[studio.team.uuid]), {"who": "bob", "role": "viewer"}
    )
    assert page.status_code == 200
    assert "bob is already in Acme Creative (Editor)" in page.text
    assert 'value="bob"' in page.text  # what was typed is kept
    assert role_of(studio.bob, studio.team) == Role.EDITOR


def test_a_malformed_email_is_a_clear_error(client, studio):
    client.force_login(studio.alice)
    page = client.post(
        reverse("team_invite", args=[studio.team.uuid]), {"who": "someone@", "role": "editor"}
    )
    assert "Enter a valid email address." in page.text
    assert not Invitation.objects.exists()


def test_role_change_answers_with_the_changed_row(client, studio, django_assert_num_queries):
    client.force_login(studio.alice)
    vera = member(studio.vera, studio.team)
    url = reverse("member_role", args=[vera.uuid])
    # user; the member with team and user; the owner's membership (require_action);
    # savepoint; owners locked; the member's role as of the lock; the update; savepoint released.
    with django_assert_num_queries(8):
        response = client.post(url, {"role": "editor"}, **HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="member-{vera.uuid}"')
    assert "vera is now editor." in response.text
    assert '<option value="editor" selected>' in response.text
    assert role_of(studio.vera, studio.team) == Role.EDITOR


def test_role_change_without_htmx_redirects_to_the_team_page(client, studio):
    client.force_login(studio.alice)
    vera = member(studio.vera, studio.team)
    response = client.post(reverse("member_role", args=[vera.uuid]), {"role": "reviewer"})
    assert response.status_code == 302
    assert "vera is now reviewer." in client.get(response.url).text


def test_the_last_owner_cannot_be_demoted(client, studio):
    client.force_login(studio.alice)
    alice = member(studio.alice, studio.team)
    response = client.post(reverse("member_role", args=[alice.uuid]), {"role": "viewer"}, **HTMX)
    assert response.status_code == 200
    assert "alice is the last owner of Acme Creative" in response.text
    assert '<option value="owner" selected>' in response.text  # the select shows the truth
    assert role_of(studio.alice, studio.team) == Role.OWNER


def test_the_last_owner_cannot_be_removed(client, studio):
    client.force_login(studio.alice)
    alice = member(studio.alice, studio.team)
    response = client.post(reverse("member_remove", args=[alice.uuid]), **HTMX)
    assert "alice is the last owner of Acme Creative" in response.text
    assert role_of(studio.alice, studio.team) == Role.OWNER


def test_an_owner_may_step_down_once_there_is_another(client, studio):
    client.force_login(studio.alice)
    client.post(
        reverse("member_role", args=[member(studio.bob, studio.team).uuid]), {"role": "owner"}
    )
    response = client.post(
        reverse("member_role", args=[member(studio.alice, studio.team).uuid]),
        {"role": "editor"},
        **HTMX,
    )
    # Her controls are gone: the whole page reloads rather than one row.
    assert response.headers["HX-Refresh"] == "true"
    assert role_of(studio.alice, studio.team) == Role.EDITOR
    page = client.get(reverse("team_detail", args=[studio.team.uuid]))
    assert 'name="who"' not in page.text


def test_an_unknown_role_changes_nothing(client, studio):
    client.force_login(studio.alice)
    vera = member(studio.vera, studio.team)
    response = client.post(reverse("member_role", args=[vera.uuid]), {"role": "admin"}, **HTMX)
    assert "Choose one of the roles." in response.text
    assert role_of(studio.vera, studio.team) == Role.VIEWER


def test_remove_member_takes_the_row_away(client, studio):
    client.force_login(studio.alice)
    response = client.post(
        reverse("member_remove", args=[member(studio.bob, studio.team).uuid]), **HTMX
    )
    assert response.status_code == 200
    assert response.text == ""
    assert not Membership.objects.filter(user=studio.bob, team=studio.team).exists()
    client.force_login(studio.bob)
    assert client.get(reverse("team_detail", args=[studio.team.uuid])).status_code == 404


@pytest.mark.parametrize("user", ["bob", "rita", "vera"])
def test_members_who_do_not_manage_get_403_and_nothing_changes(client, studio, user):
    client.force_login(getattr(studio, user))
    alice = member(studio.alice, studio.team)
    assert (
        client.post(reverse("member_role", args=[alice.uuid]), {"role": "viewer"}).status_code
        == 403
    )
    assert client.post(reverse("member_remove", args=[alice.uuid])).status_code == 403
    response = client.post(
        reverse("team_invite", args=[studio.team.uuid]), {"who": "oscar", "role": "owner"}
    )
    assert response.status_code == 403
    assert Membership.objects.filter(team=studio.team).count() == 4
    assert role_of(studio.alice, studio.team) == Role.OWNER


def test_an_owner_who_leaves_is_sent_to_the_teams_page(client, studio):
    client.force_login(studio.alice)
    client.post(
        reverse("member_role", args=[member(studio.bob, studio.team).uuid]), {"role": "owner"}
    )
    response = client.post(
        reverse("member_remove", args=[member(studio.alice, studio.team).uuid]), **HTMX
    )
    assert response.headers["HX-Redirect"] == reverse("team_list")
    assert not Membership.objects.filter(user=studio.alice, team=studio.team).exists()
    assert "You have left Acme Creative." in client.get(reverse("team_list")).text
