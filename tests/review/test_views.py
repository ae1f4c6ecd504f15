from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studio.generation.models import Take, TakeStatus
from studio.projects.models import Shot
from studio.review import services
from studio.review.models import Comment, Decision, ReviewState, ShareLink
from studio.review.services import Guest
from tests.factories import make_link, make_take

# The storyboard as a list of cards (the page opens on the board unless the list was chosen).
LIST = {"view": "list"}

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def add_shots(studio, first: int, last: int) -> None:
    """Shots with three takes each (two finished), every finished one decided on twice and
    commented on twice, one comment pinned; the guest's on a live link."""
    link = make_link(studio.storyboard, studio.alice)
    for position in range(first, last + 1):
        shot = Shot.objects.create(
            storyboard=studio.storyboard,
            position=position,
            prompt=f"Shot {position}",
            duration=4,
            aspect_ratio="16:9",
            video_model=studio.veo,
        )
        for number in (1, 2, 3):
            take = make_take(
                shot, number, status=TakeStatus.COMPLETED if number < 3 else TakeStatus.FAILED
            )
            if number < 3:
                Decision.objects.create(take=take, state="approved", decided_by=studio.rita)
                Decision.objects.create(
                    take=take, state="rejected", guest_name="Clara", share_link=link
                )
                Comment.objects.create(take=take, author=studio.rita, body="Warmer")
                Comment.objects.create(
                    take=take,
                    guest_name="Clara",
                    share_link=link,
                    body="Here",
                    at_seconds=Decimal("1.5"),
                )


@pytest.mark.parametrize("user", ["bob", "rita"])
def test_storyboard_page_queries_do_not_grow_with_reviewed_takes(client, studio, user):
    """Editors and reviewers both see the buttons; the reviewer's right to review is asked
    once per page, not once per take."""
    client.force_login(getattr(studio, user))
    url = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    client.get(url, LIST)
    add_shots(studio, 2, 2)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    add_shots(studio, 3, 21)
    with CaptureQueriesContext(connection) as twenty:
        page = client.get(url).text
    assert len(twenty) == len(one), [q["sql"][:120] for q in twenty.captured_queries]
    # 20 reviewed shots x 2 finished takes, each review drawn closed with its state: Rita
    # approved, the guest Clara rejected, and a rejection outweighs.
    assert page.count('class="review-fold"') == 40
    assert page.count('<span class="badge review-rejected">Rejected</span>') == 40
    assert page.count("2 open comments</span>") == 40
    # Who decided what, the comments and the buttons come when a review is opened.
    assert "Clara (guest)" not in page and 'data-seek="1.5"' not in page
    assert "Approve: take 1" not in page
    take = Take.objects.filter(shot__position=21, take_number=1).get()
    opened = client.get(reverse("take_review", args=[take.uuid]), **HTMX).text
    assert "Clara (guest)</span>" in opened and 'data-seek="1.5"' in opened
    assert "Approve: take 1" in opened


def test_viewer_sees_reviews_without_buttons(client, studio):
    add_shots(studio, 2, 3)
    client.force_login(studio.vera)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid]), LIST).text
    assert ">Rejected</span>" in page
    take = Take.objects.filter(shot__position=2, take_number=1).get()
    opened = client.get(reverse("take_review", args=[take.uuid]), **HTMX).text
    assert ">Rejected</span>" in opened and "Warmer" in opened
    assert "Approve: take" not in opened and "Add comment" not in opened


def test_take_review_fragment_query_count(client, studio, takes, django_assert_num_queries):
    services.comment_add(target=takes[0], body="Hi", user=studio.rita)
    client.force_login(studio.rita)
    # user, take (+shot, storyboard, project, team), decisions, comments, membership
    with django_assert_num_queries(5):
        response = client.get(reverse("take_review", args=[takes[0].uuid]), **HTMX)
    assert f'id="take-{takes[0].uuid}-review"' in response.text and "Hi" in response.text
    assert "HX-Request" in response["Vary"]


def test_deciding_on_a_take_answers_with_its_review_block(
    client, studio, takes, django_assert_num_queries
):
    client.force_login(studio.rita)
    url = reverse("take_decide", args=[takes[0].uuid])
    # user, take (+shot, storyboard, project, team), membership, savepoint, the
    # service's permission check, decision, the take marked changed (live updates), activity
    # line, release, decisions, comments
    with django_assert_num_queries(11):
        response = client.post(url, {"state": "changes_requested"}, **HTMX)
    assert ">Changes requested</span>" in response.text and "rita" in response.text
    assert "Regenerate with this prompt" not in response.text  # reviewers do not generate
    assert services.review_of(takes[0]).state == ReviewState.CHANGES_REQUESTED
    assert 'aria-pressed="true" aria-label="Request changes: take 1"' in response.text


def test_changes_requested_offers_to_regenerate_with_the_prompt(client, studio, takes):
    services.review_decide(target=takes[0], state="changes_requested", user=studio.rita)
    client.force_login(studio.bob)
    page = client.get(reverse("take_review", args=[takes[0].uuid]), **HTMX).text
    shot = studio.shot.uuid
    link = f"/storyboards/{studio.storyboard.uuid}/?edit={shot}#shot-{shot}"
    assert f'href="{link}">Regenerate with this prompt</a>' in page


def test_a_bad_comment_is_explained_where_the_form_is(client, studio, takes):
    client.force_login(studio.rita)
    url = reverse("take_comment", args=[takes[0].uuid])
    response = client.post(url, {"body": "Late", "at_seconds": "9"}, **HTMX)
    assert response["HX-Retarget"] == f"#take-{takes[0].uuid}-review-alert"
    assert "within the take: 0 to 4.0 s" in response.text
    response = client.post(url, {"body": "Late", "at_seconds": "soon"}, **HTMX)
    assert "A time in the video is seconds" in response.text
    assert not Comment.objects.exists()


def test_a_pinned_take_comment_seeks_and_resolves(client, studio, takes):
    client.force_login(studio.rita)
    url = reverse("take_comment", args=[takes[0].uuid])
    response = client.post(url, {"body": "Flicker", "at_seconds": "2.5"}, **HTMX)
    assert 'data-seek="2.5"' in response.text and "Flicker" in response.text
    comment = Comment.objects.get()
    response = client.post(
        reverse("comment_resolve", args=[comment.uuid]), {"resolved": "1"}, **HTMX
    )
    assert "Resolved</span>" in response.text and ">Reopen</button>" in response.text


def test_without_javascript_a_decision_returns_to_the_take_s_review_page(client, studio, takes):
    """Its forms are there (the storyboard opens on the board, which does not show the take)."""
    client.force_login(studio.rita)
    response = client.post(reverse("take_decide", args=[takes[0].uuid]), {"state": "approved"})
    assert response.url == reverse("take_review", args=[takes[0].uuid])
    page = client.get(response.url).text
    assert 'aria-pressed="true" aria-label="Approve: take 1"' in page
    assert "hx-swap-oob" not in page  # a page of its own has no card to update
    url = reverse("take_comment", args=[takes[0].uuid])
    assert client.post(url, {"body": "Flicker"}).url == response.url


def test_a_decision_and_a_comment_update_the_closed_review_s_state_out_of_band(
    client, studio, takes
):
    client.force_login(studio.rita)
    decided = client.post(
        reverse("take_decide", args=[takes[0].uuid]), {"state": "approved"}, **HTMX
    ).text
    state = f'<span id="take-{takes[0].uuid}-state" hx-swap-oob="true">'
    assert f'{state} <span class="badge review-approved">Approved</span></span>' in decided
    commented = client.post(
        reverse("take_comment", args=[takes[0].uuid]), {"body": "Flicker"}, **HTMX
    ).text
    assert '<span class="small muted">1 open comment</span></span>' in commented
    assert commented.index("</section>") < commented.index(state)


def test_playlist_review_block_on_the_page_and_after_a_comment(
    client, studio, playlist, items, django_assert_num_queries
):
    client.force_login(studio.rita)
    page = client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    assert 'id="playlist-review"' in page and "Review summary" in page
    assert 'id="share-links"' not in page  # sharing is for editors
    url = reverse("playlist_comment", args=[playlist.uuid])
    # user, playlist (+project, team), membership, items (to pin), savepoint,
    # comment, activity, release, decisions, comments
    with django_assert_num_queries(10):
        response = client.post(url, {"body": "Cut here", "at_seconds": "5"}, **HTMX)
    assert 'data-seek-preview="5.0"' in response.text
    assert "5.0 s · Shot 2, take 1" in response.text


def test_playlist_decision_fragment(client, studio, playlist, items, django_assert_num_queries):
    client.force_login(studio.bob)
    url = reverse("playlist_decide", args=[playlist.uuid])
    with django_assert_num_queries(9):
        response = client.post(url, {"state": "approved"}, **HTMX)
    assert ">Approved</span>" in response.text and "bob" in response.text
    response = client.post(url, {"state": "sideways"}, **HTMX)
    assert response["HX-Retarget"] == "#playlist-review-alert"
    assert Decision.objects.count() == 1


def test_review_summary_lists_states_open_comments_and_who_must_decide(
    client, studio, playlist, items, django_assert_num_queries
):
    services.review_decide(target=items[0].take, state="approved", user=studio.rita)
    services.comment_add(target=items[1].take, body="Too fast", user=studio.rita)
    guest = Guest(name="Clara", link=make_link(playlist, studio.alice))
    services.comment_add(target=playlist, body="Logo later", guest=guest, at_seconds=Decimal("9"))
    services.review_decide(target=playlist, state="changes_requested", user=studio.alice)
    client.force_login(studio.vera)
    # user, playlist (+project, team), items (+takes, shots), their decisions, their
    # comments, playlist decisions, comments, memberships, team switcher, pause banner
    with django_assert_num_queries(10):
        page = client.get(reverse("playlist_review", args=[playlist.uuid])).text
    assert page.count(">Approved</span>") == 1 and page.count(">In review</span>") == 2
    assert "Too fast" in page and "Logo later" in page and "9.0 s · Shot 3, take 1" in page
    still = page.split('id="pending-title"')[1].split("</section>")[0]
    assert "bob" in still and "rita" in still and "Clara" in still
    assert "alice" not in still and "vera" not in still


def test_editors_share_a_playlist_from_its_page(client, studio, playlist, items):
    client.force_login(studio.bob)
    page = client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    assert 'id="share-links"' in page
    response = client.post(reverse("playlist_share", args=[playlist.uuid]), {"days": "7"}, **HTMX)
    link = ShareLink.objects.get()
    assert link.playlist == playlist
    assert f"http://testserver/s/{link.token}/" in response.text and "Copy link" in response.text
    response = client.post(reverse("playlist_share", args=[playlist.uuid]), {"days": "2"}, **HTMX)
    assert "A link lasts 1, 7 or 30 days" in response.text and ShareLink.objects.count() == 1


def test_storyboard_share_page_create_and_revoke(client, studio, django_assert_num_queries):
    client.force_login(studio.alice)
    url = reverse("storyboard_share", args=[studio.storyboard.uuid])
    response = client.post(url, {"days": "1"})
    assert response.url == url
    link = ShareLink.objects.get()
    # user, storyboard (+project, team), membership, links (+creators), team
    # switcher, pause banner
    with django_assert_num_queries(6):
        page = client.get(url).text
    assert link.token in page and "Revoke" in page
    response = client.post(reverse("share_link_revoke", args=[link.uuid]), **HTMX)
    assert ">Revoked</span>" in response.text and link.token not in response.text
    link.refresh_from_db()
    assert link.revoked_by == studio.alice


def test_reviewers_cannot_manage_links_and_outsiders_cannot_see_them(client, studio, playlist):
    link = make_link(playlist, studio.alice)
    client.force_login(studio.rita)
    assert client.get(reverse("storyboard_share", args=[studio.storyboard.uuid])).status_code == 403
    assert client.post(reverse("share_link_revoke", args=[link.uuid])).status_code == 403
    client.force_login(studio.oscar)
    assert client.post(reverse("share_link_revoke", args=[link.uuid])).status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_outsiders_get_404_on_every_review_url(client, studio, playlist, items):
    comment = services.comment_add(target=playlist, body="x", user=studio.rita)
    take = items[0].take
    link = make_link(playlist, studio.alice)
    client.force_login(studio.oscar)
    for method, url in [
        ("get", reverse("take_review", args=[take.uuid])),
        ("post", reverse("take_decide", args=[take.uuid])),
        ("post", reverse("take_comment", args=[take.uuid])),
        ("post", reverse("comment_resolve", args=[comment.uuid])),
        ("get", reverse("playlist_review", args=[playlist.uuid])),
        ("post", reverse("playlist_decide", args=[playlist.uuid])),
        ("post", reverse("playlist_comment", args=[playlist.uuid])),
        ("get", reverse("playlist_share", args=[playlist.uuid])),
        ("post", reverse("share_link_revoke", args=[link.uuid])),
    ]:
        assert getattr(client, method)(url, {"state": "approved", "body": "x"}).status_code == 404
    assert Decision.objects.count() == 0 and Comment.objects.count() == 1


def test_a_card_drawn_without_its_review_loads_it_by_itself(client, studio, takes):
    """Other views redraw take cards (cancel, check again): rather than two queries per card,
    the review block asks for itself once."""
    from django.template.loader import render_to_string

    take = Take.objects.select_related("shot__storyboard").get(pk=takes[0].pk)
    html = render_to_string("review/take_review.html", {"take": take})
    assert f'hx-get="/takes/{take.uuid}/review/"' in html and 'hx-trigger="load"' in html
    running = make_take(take.shot, 9, status=TakeStatus.RUNNING)
    assert render_to_string("review/take_review.html", {"take": running}).strip() == ""


def test_a_closed_review_opens_on_a_page_of_its_own_without_javascript(client, studio, takes):
    services.review_decide(target=takes[0], state="approved", user=studio.rita)
    client.force_login(studio.rita)
    page = client.get(reverse("take_review", args=[takes[0].uuid])).text
    assert "<title>Review of take 1, shot 1 · Veo Studio</title>" in page
    assert f'<section id="take-{takes[0].uuid}-review" class="review"' in page
    assert "Approve: take 1" in page and "rita" in page
    client.force_login(studio.oscar)
    assert client.get(reverse("take_review", args=[takes[0].uuid])).status_code == 404


def test_a_card_drawn_again_by_another_view_shows_its_closed_review_s_state(client, studio, takes):
    """Selecting a take redraws its shot's card (cancel and check again redraw takes that are
    not finished, which have no review): the closed review keeps its state."""
    services.review_decide(target=takes[0], state="approved", user=studio.rita)
    client.force_login(studio.bob)
    card = client.post(reverse("take_select", args=[takes[0].uuid]), **HTMX).text
    state = f'<span id="take-{takes[0].uuid}-state">'
    assert f'{state} <span class="badge review-approved">Approved</span></span>' in card
