"""Per-reviewer decisions: each reviewer's latest decision counts, and the take's or playlist's
state follows from them by the team's rule."""

from decimal import Decimal

import pytest
from django.urls import reverse

from studio.activity.models import Activity
from studio.deliveries.sheet import sheet_row
from studio.playlists.models import Export
from studio.review import services
from studio.review.approved import storyboard_approved_takes
from studio.review.models import ReviewState
from studio.review.services import Guest
from studio.teams.models import Membership, ReviewRule, Role
from tests.factories import make_link

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
APPROVED, CHANGES, REJECTED = "approved", "changes_requested", "rejected"


def set_rule(studio, rule: str) -> None:
    studio.team.review_rule = rule
    studio.team.save(update_fields=["review_rule"])


def test_a_guests_approve_does_not_replace_the_teams_changes_requested(studio, takes):
    services.review_decide(target=takes[0], state=CHANGES, user=studio.rita)
    guest = Guest(name="Clara", link=make_link(studio.storyboard, studio.alice))
    services.review_decide(target=takes[0], state=APPROVED, guest=guest)
    review = services.review_of(takes[0])
    assert review.state == CHANGES
    assert [(d.decider_name, d.state) for d in review.reviewers] == [
        ("Clara (guest)", APPROVED),
        ("rita", CHANGES),
    ]


@pytest.mark.parametrize(
    ("rita", "bob", "state"),
    [
        (APPROVED, APPROVED, APPROVED),
        (APPROVED, CHANGES, CHANGES),
        (CHANGES, REJECTED, REJECTED),  # a rejection says more than a request for changes
        (REJECTED, APPROVED, REJECTED),
    ],
)
def test_all_must_approve_and_the_strongest_objection_wins(studio, playlist, rita, bob, state):
    services.review_decide(target=playlist, state=rita, user=studio.rita)
    services.review_decide(target=playlist, state=bob, user=studio.bob)
    assert services.review_of(playlist).state == state


def test_a_reviewer_changing_their_mind_replaces_only_their_own_decision(studio, playlist):
    services.review_decide(target=playlist, state=REJECTED, user=studio.rita)
    services.review_decide(target=playlist, state=APPROVED, user=studio.bob)
    services.review_decide(target=playlist, state=APPROVED, user=studio.rita)
    review = services.review_of(playlist)
    assert review.state == APPROVED and len(review.decisions) == 3


def test_taking_a_decision_back_leaves_the_others(studio, playlist):
    services.review_decide(target=playlist, state=APPROVED, user=studio.bob)
    services.review_decide(target=playlist, state=REJECTED, user=studio.rita)
    services.review_decide(target=playlist, state=ReviewState.IN_REVIEW, user=studio.rita)
    review = services.review_of(playlist)
    assert review.state == APPROVED and [d.decided_by for d in review.reviewers] == [studio.bob]
    assert str(Activity.objects.order_by("pk").last()) == (
        "rita reviewed playlist Hero 15: decision taken back"
    )


def test_guests_are_told_apart_by_link_and_name(studio, playlist):
    first, second = make_link(playlist, studio.alice), make_link(playlist, studio.alice)
    services.review_decide(target=playlist, state=REJECTED, guest=Guest("Clara", first))
    services.review_decide(target=playlist, state=APPROVED, guest=Guest("clara", first))
    assert services.review_of(playlist).state == APPROVED  # the same Clara changed her mind
    services.review_decide(target=playlist, state=CHANGES, guest=Guest("Clara", second))
    assert services.review_of(playlist).state == CHANGES  # another Clara, on another link


def test_an_owners_approval_is_final_when_the_team_says_so(studio, takes):
    services.review_decide(target=takes[0], state=REJECTED, user=studio.rita)
    services.review_decide(target=takes[0], state=APPROVED, user=studio.alice)
    services.review_decide(target=takes[0], state=APPROVED, user=studio.bob)
    assert services.review_of(takes[0]).state == REJECTED  # one objection holds it, by default
    set_rule(studio, ReviewRule.OWNER_FINAL)
    assert services.review_of(takes[0]).state == APPROVED
    assert services.review_of(takes[0]).rule_label == "An owner's approval is final"
    # An editor's approval is not an owner's.
    services.review_decide(target=takes[1], state=REJECTED, user=studio.rita)
    services.review_decide(target=takes[1], state=APPROVED, user=studio.bob)
    assert services.review_of(takes[1]).state == REJECTED


def test_an_owner_who_is_no_longer_one_has_no_final_say(studio, takes):
    set_rule(studio, ReviewRule.OWNER_FINAL)
    services.review_decide(target=takes[0], state=CHANGES, user=studio.rita)
    services.review_decide(target=takes[0], state=APPROVED, user=studio.alice)
    Membership.objects.filter(user=studio.bob, team=studio.team).update(role=Role.OWNER)
    Membership.objects.filter(user=studio.alice, team=studio.team).update(role=Role.EDITOR)
    assert services.review_of(takes[0]).state == CHANGES


def test_add_all_approved_takes_follows_the_derived_state(studio, takes):
    guest = Guest(name="Clara", link=make_link(studio.storyboard, studio.alice))
    services.review_decide(target=takes[0], state=APPROVED, guest=guest)
    services.review_decide(target=takes[1], state=APPROVED, guest=guest)
    services.review_decide(target=takes[1], state=CHANGES, user=studio.rita)
    assert storyboard_approved_takes(studio.storyboard).takes == [takes[0]]


def test_the_review_block_lists_each_reviewer_and_presses_my_choice(client, studio, playlist):
    services.review_decide(target=playlist, state=APPROVED, user=studio.bob)
    services.review_decide(target=playlist, state=CHANGES, user=studio.rita)
    client.force_login(studio.rita)
    page = client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    assert '<span class="badge review-changes_requested">Changes requested</span>' in page
    bob = '<span class="reviewer-name">bob</span> <span class="decision decision-approved">'
    assert bob in page
    assert '<span class="reviewer-name">rita</span>' in page
    assert "Everyone who reviews must approve (one objection holds it)" in page
    # Rita's own choice is pressed, and pressing it sends "take it back".
    assert (
        'value="in_review" class="segment segment-changes_requested" aria-pressed="true" '
        'aria-label="Request changes: the playlist"' in page
    )
    assert 'value="approved" class="segment segment-approved" aria-pressed="false"' in page


def test_pressing_my_choice_again_takes_it_back(client, studio, playlist):
    client.force_login(studio.rita)
    url = reverse("playlist_decide", args=[playlist.uuid])
    client.post(url, {"state": REJECTED}, **HTMX)
    answer = client.post(url, {"state": ReviewState.IN_REVIEW}, **HTMX).text
    assert '<span class="badge review-in_review">In review</span>' in answer
    assert 'aria-pressed="true"' not in answer and "reviewer-decisions" not in answer


def test_a_guests_own_choice_is_pressed_on_the_share_page(client, studio, playlist, items):
    link = make_link(playlist, studio.alice)
    client.post(reverse("share_name", args=[link.token]), {"name": "Clara"})
    services.review_decide(target=playlist, state=APPROVED, user=studio.rita)
    client.post(reverse("share_decide", args=[link.token]), {"state": REJECTED}, **HTMX)
    page = client.get(reverse("share_open", args=[link.token])).text
    assert '<span class="badge review-rejected">Rejected</span>' in page
    assert 'aria-pressed="true" aria-label="Reject: the playlist"' in page
    assert 'aria-pressed="true" aria-label="Approve: the playlist"' not in page  # Rita's


def test_the_delivery_sheet_says_the_derived_state_and_who_approved(studio, playlist):
    export = Export(playlist=playlist, file_name="hero.mp4", duration=Decimal("15"))
    services.review_decide(target=playlist, state=CHANGES, user=studio.rita)
    guest = Guest(name="Clara", link=make_link(playlist, studio.alice))
    services.review_decide(target=playlist, state=APPROVED, guest=guest)
    reviews = services.playlist_reviews([playlist])
    row = sheet_row(export, size=1, sha256="0", review=reviews[playlist.pk])
    assert (row["review_state"], row["approved_by"]) == ("Changes requested", "—")
    services.review_decide(target=playlist, state=APPROVED, user=studio.rita)
    reviews = services.playlist_reviews([playlist])
    row = sheet_row(export, size=1, sha256="0", review=reviews[playlist.pk])
    assert (row["review_state"], row["approved_by"]) == ("Approved", "rita, Clara (guest)")


def test_a_guests_decision_counts_while_their_link_is_live(studio, playlist):
    link = make_link(playlist, studio.alice)
    services.review_decide(target=playlist, state=REJECTED, guest=Guest("Clara", link))
    services.review_decide(target=playlist, state=APPROVED, user=studio.rita)
    services.review_decide(target=playlist, state=APPROVED, user=studio.bob)
    assert services.review_of(playlist).state == REJECTED
    services.share_link_revoke(user=studio.alice, link=link)
    review = services.review_of(playlist)
    assert review.state == APPROVED
    assert [d.decider_name for d in review.reviewers] == ["bob", "rita"]
    assert len(review.decisions) == 3  # the history keeps it


def test_a_guests_decision_stops_counting_when_their_link_expires(studio, playlist, time_machine):
    link = make_link(playlist, studio.alice, days=1)
    services.review_decide(target=playlist, state=REJECTED, guest=Guest("Clara", link))
    services.review_decide(target=playlist, state=APPROVED, user=studio.rita)
    assert services.review_of(playlist).state == REJECTED
    time_machine.move_to(link.expires_at)
    assert services.review_of(playlist).state == APPROVED
    assert services.playlist_reviews([playlist])[playlist.pk].state == APPROVED


def test_reading_the_state_costs_the_same_queries_with_guests(
    studio, playlist, django_assert_num_queries
):
    link = make_link(playlist, studio.alice)
    for name in ("Clara", "Dan", "Eve"):
        services.review_decide(target=playlist, state=APPROVED, guest=Guest(name, link))
    playlist = type(playlist).objects.get(pk=playlist.pk)
    # decisions (+ decider, share link, rule, owner), comments
    with django_assert_num_queries(2):
        assert services.review_of(playlist).state == APPROVED


def test_a_deleted_accounts_old_decisions_stay_superseded(studio, playlist):
    services.review_decide(target=playlist, state=REJECTED, user=studio.rita)
    services.review_decide(target=playlist, state=APPROVED, user=studio.rita)
    services.review_decide(target=playlist, state=APPROVED, user=studio.bob)
    studio.rita.delete()
    review = services.review_of(playlist)
    assert review.state == APPROVED
    assert [(d.decider_name, d.state) for d in review.reviewers] == [
        ("bob", APPROVED),
        ("someone", APPROVED),
    ]


def test_owners_are_told_a_guests_decision_counts_while_the_link_is_live(client, studio, playlist):
    link = make_link(playlist, studio.alice)
    services.review_decide(target=playlist, state=REJECTED, guest=Guest("Clara", link))
    client.force_login(studio.alice)
    page = client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    assert "A guest's decision counts while their link is live" in page
