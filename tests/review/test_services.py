from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from studio.activity.models import Activity, Verb
from studio.review import services
from studio.review.models import SHARE_SALT, Comment, Decision, ReviewState, ShareLink
from studio.review.services import Guest
from tests.factories import make_link, make_take

pytestmark = pytest.mark.django_db


def test_every_decision_is_kept_and_each_reviewers_latest_counts(studio, takes):
    take = takes[0]
    services.review_decide(target=take, state=ReviewState.CHANGES_REQUESTED, user=studio.rita)
    services.review_decide(target=take, state=ReviewState.APPROVED, user=studio.alice)
    services.review_decide(target=take, state=ReviewState.APPROVED, user=studio.rita)
    review = services.review_of(take)
    assert review.state == ReviewState.APPROVED
    assert [(d.decided_by, d.state) for d in review.reviewers] == [
        (studio.rita, "approved"),
        (studio.alice, "approved"),
    ]
    assert [d.state for d in review.decisions] == ["approved", "approved", "changes_requested"]
    assert services.review_of(takes[1]).state == ReviewState.IN_REVIEW


def test_decisions_and_comments_write_the_activity_log(studio, takes, playlist):
    services.review_decide(target=takes[0], state=ReviewState.APPROVED, user=studio.rita)
    services.comment_add(target=playlist, body="Tighter", user=studio.bob)
    lines = [str(a) for a in Activity.objects.order_by("pk")]
    assert lines == [
        "rita reviewed take 1 of shot 1 in Hero spot: approved",
        "bob commented on playlist Hero 15",
    ]


@pytest.mark.parametrize("role", ["alice", "bob", "rita"])
def test_owners_editors_and_reviewers_may_review(studio, takes, role):
    user = getattr(studio, role)
    services.review_decide(target=takes[0], state=ReviewState.REJECTED, user=user)
    services.comment_add(target=takes[0], body="Too dark", user=user)
    review = services.review_of(takes[0])
    assert review.state == ReviewState.REJECTED
    assert [d.decided_by for d in review.reviewers] == [user]
    assert [(c.author, c.body) for c in review.comments] == [(user, "Too dark")]
    assert [str(a) for a in Activity.objects.order_by("pk")] == [
        f"{user} reviewed take 1 of shot 1 in Hero spot: rejected",
        f"{user} commented on take 1 of shot 1 in Hero spot",
    ]


def test_viewers_only_read(studio, takes, playlist):
    with pytest.raises(PermissionDenied):
        services.review_decide(target=takes[0], state=ReviewState.APPROVED, user=studio.vera)
    with pytest.raises(PermissionDenied):
        services.comment_add(target=playlist, body="Nice", user=studio.vera)
    assert not Decision.objects.exists() and not Comment.objects.exists()
    assert not Activity.objects.exists()


def test_an_unknown_state_or_an_unfinished_take_is_refused(studio, shots):
    running = make_take(shots[0], 1, status="running")
    with pytest.raises(ValidationError, match="Choose approve"):
        services.review_decide(target=running, state="maybe", user=studio.rita)
    with pytest.raises(ValidationError, match="Only a finished take"):
        services.review_decide(target=running, state=ReviewState.APPROVED, user=studio.rita)
    assert not Decision.objects.exists()


@pytest.mark.parametrize(
    ("body", "at", "message"),
    [
        ("   ", None, "cannot be empty"),
        ("x" * 2001, None, "Keep the comment to 2000 characters"),
        ("Late", Decimal("4.5"), "within the take: 0 to 4.0 s"),
        ("Early", Decimal("-1"), "0 seconds or more"),
    ],
)
def test_bad_comments_are_explained_and_nothing_is_written(studio, takes, body, at, message):
    with pytest.raises(ValidationError, match=message):
        services.comment_add(target=takes[0], body=body, at_seconds=at, user=studio.rita)
    assert not Comment.objects.exists() and not Activity.objects.exists()


def test_a_pinned_playlist_comment_names_the_shot_and_take_on_screen(
    studio, playlist, items, shots
):
    # Items 4 s each; the first trimmed to 1-3 s: shot 1 plays 0-2, shot 2 2-6, shot 3 6-10.
    items[0].trim_in, items[0].trim_out = Decimal("1"), Decimal("3")
    items[0].save()
    pins = {
        seconds: services.comment_add(
            target=playlist, body="here", at_seconds=Decimal(seconds), user=studio.rita
        )
        for seconds in ("0", "1.9", "2", "7.5", "10")
    }
    assert {s: c.item_label for s, c in pins.items()} == {
        "0": "Shot 1, take 1",
        "1.9": "Shot 1, take 1",
        "2": "Shot 2, take 1",
        "7.5": "Shot 3, take 1",
        "10": "Shot 3, take 1",
    }
    assert pins["7.5"].item == items[2]
    with pytest.raises(ValidationError, match=r"within the playlist: 0 to 10\.0 s"):
        services.comment_add(
            target=playlist, body="x", at_seconds=Decimal("10.5"), user=studio.rita
        )


def test_unfinished_items_are_not_on_the_playlist_timeline(studio, playlist, items, shots):
    running = make_take(shots[0], 2, status="running")
    from studio.playlists.services import playlist_add_takes, playlist_reorder

    extra = playlist_add_takes(user=studio.bob, playlist=playlist, takes=[running])[0]
    order = [str(extra.uuid), *(str(i.uuid) for i in items)]
    playlist_reorder(user=studio.bob, playlist=playlist, item_uuids=order)
    comment = services.comment_add(
        target=playlist, body="x", at_seconds=Decimal("0.5"), user=studio.rita
    )
    assert comment.item_label == "Shot 1, take 1"  # the preview skips the running take


def test_pinning_to_an_empty_playlist_is_explained(studio, playlist):
    with pytest.raises(ValidationError, match="no finished takes to pin to"):
        services.comment_add(target=playlist, body="x", at_seconds=Decimal("1"), user=studio.bob)


def test_resolving_is_for_team_reviewers(studio, takes):
    comment = services.comment_add(target=takes[0], body="Fix the sky", user=studio.rita)
    with pytest.raises(PermissionDenied):
        services.comment_resolve(user=studio.vera, comment=comment)
    services.comment_resolve(user=studio.bob, comment=comment)
    comment.refresh_from_db()
    assert comment.resolved and comment.resolved_by == studio.bob
    services.comment_resolve(user=studio.bob, comment=comment, resolved=False)
    comment.refresh_from_db()
    assert not comment.resolved and comment.resolved_at is None


def test_guests_review_what_their_link_names_and_nothing_else(studio, playlist, items, takes):
    board_link = make_link(studio.storyboard, studio.alice)
    guest = Guest(name="Clara", link=board_link)
    services.review_decide(target=takes[0], state=ReviewState.APPROVED, guest=guest)
    comment = services.comment_add(target=takes[1], body="Love it", guest=guest)
    assert comment.author_name == "Clara (guest)" and comment.share_link == board_link
    assert (
        str(Activity.objects.first()) == "Clara (guest) commented on take 1 of shot 2 in Hero spot"
    )
    with pytest.raises(PermissionDenied):  # a storyboard link does not open the playlist
        services.comment_add(target=playlist, body="x", guest=guest)
    playlist_guest = Guest(name="Clara", link=make_link(playlist, studio.alice))
    with pytest.raises(PermissionDenied):  # nor a playlist link the takes themselves
        services.review_decide(target=takes[0], state="rejected", guest=playlist_guest)
    services.review_decide(target=playlist, state="approved", guest=playlist_guest)


def test_a_dead_link_lets_a_guest_do_nothing(studio, takes):
    link = make_link(studio.storyboard, studio.alice)
    link.expires_at = timezone.now() - timedelta(seconds=1)
    link.save()
    with pytest.raises(PermissionDenied):
        services.comment_add(target=takes[0], body="x", guest=Guest(name="C", link=link))


def test_share_links_last_a_chosen_time_and_are_for_editors(studio, playlist):
    link = services.share_link_create(user=studio.bob, target=playlist, days=30)
    assert timedelta(days=29, hours=23) < link.expires_at - timezone.now() <= timedelta(days=30)
    with pytest.raises(ValidationError, match="1, 7 or 30 days"):
        services.share_link_create(user=studio.bob, target=playlist, days=365)
    for user in (studio.rita, studio.vera):
        with pytest.raises(PermissionDenied):
            services.share_link_create(user=user, target=studio.storyboard, days=7)
    assert ShareLink.objects.count() == 1
    assert str(Activity.objects.get()) == "bob shared playlist Hero 15 for 30 days"


def test_revoking_twice_writes_one_line(studio, playlist):
    link = services.share_link_create(user=studio.alice, target=playlist, days=1)
    services.share_link_revoke(user=studio.alice, link=link)
    services.share_link_revoke(user=studio.alice, link=ShareLink.objects.get(pk=link.pk))
    assert Activity.objects.filter(verb=Verb.SHARED).count() == 2  # created, revoked once
    with pytest.raises(services.ShareLinkGone, match="revoked"):
        services.share_link_open(link.token)


def test_a_token_opens_its_own_link_only(studio, playlist):
    link = make_link(playlist, studio.alice)
    assert services.share_link_open(link.token) == link
    with pytest.raises(services.ShareLinkInvalid):
        services.share_link_open(link.token[:-2] + ("AA" if link.token[-2:] != "AA" else "BB"))
    with pytest.raises(services.ShareLinkInvalid):
        services.share_link_open("not-a-token")
    # Signed by us, but naming another object than the link's: opens nothing.
    other = make_link(studio.storyboard, studio.alice)
    forged = signing.Signer(salt=SHARE_SALT).sign_object(
        {"link": link.uuid.hex, "kind": "storyboard", "target": other.storyboard.uuid.hex}
    )
    with pytest.raises(services.ShareLinkInvalid):
        services.share_link_open(forged)


def test_an_expired_link_is_gone(studio, playlist):
    link = make_link(playlist, studio.alice)
    with pytest.raises(services.ShareLinkGone, match="expired"):
        services.share_link_open(link.token, now=link.expires_at)


def test_who_still_has_to_decide(studio, playlist, items):
    guest = Guest(name="Clara", link=make_link(playlist, studio.alice))
    services.comment_add(target=playlist, body="Hmm", guest=guest)
    services.comment_add(target=playlist, body="Ok", guest=Guest(name="Dan", link=guest.link))
    services.review_decide(target=playlist, state="approved", user=studio.rita)
    services.review_decide(target=playlist, state="in_review", user=studio.bob)
    services.review_decide(target=playlist, state="rejected", guest=guest)
    pending = services.playlist_pending_deciders(playlist, services.review_of(playlist))
    # Vera only views; Rita decided; Bob only took back a decision, which leaves none.
    assert pending.members == ["alice", "bob"] and pending.guests == ["Dan"]


def test_who_still_has_to_decide_knows_a_guest_by_link_and_name(studio, playlist, items):
    first, second = make_link(playlist, studio.alice), make_link(playlist, studio.alice)
    services.comment_add(target=playlist, body="Hmm", guest=Guest(name="Clara", link=first))
    services.review_decide(target=playlist, state="rejected", guest=Guest(name="clara", link=first))
    services.comment_add(target=playlist, body="Ok", guest=Guest(name="Dan", link=second))
    services.review_decide(target=playlist, state="approved", guest=Guest(name="Dan", link=first))
    pending = services.playlist_pending_deciders(playlist, services.review_of(playlist))
    # Clara decided, in another case; the Dan of the second link is not the first link's.
    assert pending.guests == ["Dan"]
    # A guest whose link is revoked can no longer decide: nobody waits for them.
    services.share_link_revoke(user=studio.alice, link=second)
    assert services.playlist_pending_deciders(playlist, services.review_of(playlist)).guests == []
