"""The team's review rule, set by owners on the team page; and what the page says after an
invitation when no mail leaves the studio."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from studio.teams import services
from studio.teams.models import Invitation, ReviewRule, Team

pytestmark = pytest.mark.django_db

CONSOLE_MAIL = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}


def rule_of(team: Team) -> str:
    team.refresh_from_db()
    return team.review_rule


def test_a_team_starts_with_all_must_approve(studio):
    assert rule_of(studio.team) == ReviewRule.ALL_MUST_APPROVE


def test_only_owners_set_the_rule_and_only_to_a_rule(studio):
    services.team_set_review_rule(user=studio.alice, team=studio.team, rule="owner_final")
    assert rule_of(studio.team) == ReviewRule.OWNER_FINAL
    with pytest.raises(PermissionDenied):
        services.team_set_review_rule(user=studio.bob, team=studio.team, rule="all_must_approve")
    with pytest.raises(ValidationError):
        services.team_set_review_rule(user=studio.alice, team=studio.team, rule="anyone")
    assert rule_of(studio.team) == ReviewRule.OWNER_FINAL


def test_owners_choose_the_rule_on_the_team_page(client, studio):
    client.force_login(studio.alice)
    url = reverse("team_detail", args=[studio.team.uuid])
    page = client.get(url).text
    assert "How the state follows from the reviewers</legend>" in page
    assert 'value="all_must_approve" checked' in page
    response = client.post(
        reverse("team_review_rule", args=[studio.team.uuid]), {"review_rule": "owner_final"}
    )
    assert response.status_code == 302 and rule_of(studio.team) == ReviewRule.OWNER_FINAL
    page = client.get(url).text
    assert "Review rule: an owner&#x27;s approval is final." in page
    assert 'value="owner_final" checked' in page


def test_an_unknown_rule_is_explained_beside_the_choice(client, studio):
    client.force_login(studio.alice)
    page = client.post(
        reverse("team_review_rule", args=[studio.team.uuid]), {"review_rule": "anyone"}
    ).text
    assert 'id="review-rule-error" role="alert">Choose one of the review rules.' in page


def test_members_read_the_rule_and_may_not_change_it(client, studio):
    client.force_login(studio.bob)
    page = client.get(reverse("team_detail", args=[studio.team.uuid])).text
    assert "<p>Everyone who reviews must approve (one objection holds it)</p>" in page
    assert 'name="review_rule"' not in page
    url = reverse("team_review_rule", args=[studio.team.uuid])
    assert client.post(url, {"review_rule": "owner_final"}).status_code == 403
    assert rule_of(studio.team) == ReviewRule.ALL_MUST_APPROVE


def test_outsiders_get_404(client, studio):
    client.force_login(studio.oscar)
    url = reverse("team_review_rule", args=[studio.team.uuid])
    assert client.post(url, {"review_rule": "owner_final"}).status_code == 404
    assert rule_of(studio.team) == ReviewRule.ALL_MUST_APPROVE


def invite(client, studio, who: str) -> tuple[str, str]:
    """The page's words after inviting `who`, and the invitation's link."""
    client.force_login(studio.alice)
    client.post(reverse("team_invite", args=[studio.team.uuid]), {"who": who, "role": "editor"})
    invitation = Invitation.objects.get(team=studio.team)
    page = client.get(reverse("team_detail", args=[studio.team.uuid])).text
    return page, f"http://testserver/invite/{invitation.token}/"


def test_with_a_mailer_the_invitation_is_sent(client, studio):
    page, _ = invite(client, studio, "newcomer@example.com")
    assert "Invitation sent to newcomer@example.com." in page


def test_without_a_mailer_a_username_invitation_waits_in_the_studio(client, studio, settings):
    settings.MAILERS = CONSOLE_MAIL
    page, link = invite(client, studio, "zoe")
    assert "Invitation sent" not in page
    assert "It is waiting in the studio for zoe: they see it when they log in." in page
    assert f"Invitation link to copy: {link}" in page


def test_without_a_mailer_an_email_invitation_gives_its_link_to_send(client, studio, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
    page, link = invite(client, studio, "newcomer@example.com")
    assert "Invitation sent" not in page and "No email is sent from this studio." in page
    assert f"send newcomer@example.com its link yourself. Invitation link to copy: {link}" in page
