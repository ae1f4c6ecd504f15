"""The review report of a playlist or a storyboard: a CSV and a printable page, for anyone in
the team; nobody else."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from studio.review import services
from studio.review.models import ReviewState
from studio.review.services import Guest
from tests.factories import make_link

pytestmark = pytest.mark.django_db


def rows_of(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def review_playlist(studio, playlist, takes) -> None:
    services.review_decide(target=playlist, state="changes_requested", user=studio.rita)
    services.review_decide(target=playlist, state="approved", user=studio.rita)
    services.review_decide(target=playlist, state="rejected", user=studio.bob)
    comment = services.comment_add(
        target=playlist, body="Cut earlier", at_seconds=Decimal("2.5"), user=studio.bob
    )
    services.comment_resolve(user=studio.alice, comment=comment)
    services.comment_add(target=takes[0], body="Warmer light", user=studio.rita)


def test_the_csv_opens_in_a_spreadsheet_as_utf8(client, studio, playlist, items):
    services.comment_add(target=playlist, body="Clara\u2019s cut is warmer", user=studio.rita)
    client.force_login(studio.vera)
    response = client.get(reverse("playlist_review_report_csv", args=[playlist.uuid]))
    # Excel reads a CSV as the machine's code page unless it starts with the byte order mark.
    assert response.content.startswith("\ufeff".encode())
    assert "Clara\u2019s cut is warmer" in response.content.decode("utf-8")
    assert [r["Comment"] for r in rows_of(response) if r["Row"] == "Comment"] == [
        "Clara\u2019s cut is warmer"
    ]


def test_a_playlists_report_as_a_csv(client, studio, playlist, items, takes):
    review_playlist(studio, playlist, takes)
    client.force_login(studio.vera)  # viewers read it
    response = client.get(reverse("playlist_review_report_csv", args=[playlist.uuid]))
    assert 'filename="hero-15-review-report.csv"' in response["Content-Disposition"]
    rows = [
        (r["Subject"], r["Row"], r["Who"], r["Decision or state"], r["Counts now"])
        for r in rows_of(response)
        if r["Row"] != "Comment"
    ]
    assert rows[:5] == [
        ("Playlist Hero 15", "State", "", "Rejected", ""),
        ("Playlist Hero 15", "Decision", "rita", "Changes requested", "no"),
        ("Playlist Hero 15", "Decision", "rita", "Approved", "yes"),
        ("Playlist Hero 15", "Decision", "bob", "Rejected", "yes"),
        ("Shot 1, take 1", "State", "", "In review", ""),
    ]
    comments = [r for r in rows_of(response) if r["Row"] == "Comment"]
    assert [
        (c["Subject"], c["Who"], c["At (s)"], c["Comment"], c["Comment status"], c["Resolved by"])
        for c in comments
    ] == [
        ("Playlist Hero 15", "bob", "2.5", "Cut earlier", "Resolved", "alice"),
        ("Shot 1, take 1", "rita", "", "Warmer light", "Open", ""),
    ]
    assert comments[0]["On screen"].startswith("Shot 1")


def test_a_playlists_report_as_a_printable_page(client, studio, playlist, items, takes):
    review_playlist(studio, playlist, takes)
    client.force_login(studio.vera)
    page = client.get(reverse("playlist_review_report", args=[playlist.uuid])).text
    assert "<h1>Review report: Hero 15</h1>" in page
    assert '<span class="badge review-rejected">Rejected</span>' in page
    assert '<tr class="superseded"><td>rita</td><td>Changes requested</td>' in page
    assert "Cut earlier" in page and "Resolved by alice" in page and "2.5 s" in page
    assert 'href="/playlists/' in page and "report.csv" in page  # the CSV beside it
    assert "css/review.css" in page  # which holds the print rules


def test_the_report_is_linked_from_the_review_block_and_the_storyboard(
    client, studio, playlist, items
):
    client.force_login(studio.vera)
    playlist_page = client.get(reverse("playlist_detail", args=[playlist.uuid])).text
    assert reverse("playlist_review_report", args=[playlist.uuid]) in playlist_page
    storyboard_page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid])).text
    assert reverse("storyboard_review_report", args=[studio.storyboard.uuid]) in storyboard_page


def test_a_storyboards_report_lists_its_reviewed_takes_with_guests(client, studio, takes):
    guest = Guest(name="Clara", link=make_link(studio.storyboard, studio.alice))
    services.review_decide(target=takes[1], state=ReviewState.APPROVED, guest=guest)
    services.comment_add(target=takes[1], body="Lovely", at_seconds=Decimal("1"), guest=guest)
    client.force_login(studio.bob)
    rows = rows_of(
        client.get(reverse("storyboard_review_report_csv", args=[studio.storyboard.uuid]))
    )
    assert [(r["Subject"], r["Row"], r["Who"]) for r in rows] == [
        ("Shot 2, take 1", "State", ""),
        ("Shot 2, take 1", "Decision", "Clara (guest)"),
        ("Shot 2, take 1", "Comment", "Clara (guest)"),
    ]
    page = client.get(reverse("storyboard_review_report", args=[studio.storyboard.uuid])).text
    assert "<h2" in page and "Shot 2, take 1</h2>" in page and "Lovely" in page


def test_cells_a_spreadsheet_would_run_are_quoted(client, studio, playlist, items):
    guest = Guest(name='=HYPERLINK("http://evil")', link=make_link(playlist, studio.alice))
    services.comment_add(target=playlist, body="+cmd|' /C calc'!A0", guest=guest)
    services.comment_add(target=playlist, body="-14.1 is fine", user=studio.bob)
    client.force_login(studio.alice)
    rows = rows_of(client.get(reverse("playlist_review_report_csv", args=[playlist.uuid])))
    comments = [r for r in rows if r["Row"] == "Comment"]
    assert comments[0]["Who"] == '\'=HYPERLINK("http://evil") (guest)'
    assert comments[0]["Comment"] == "'+cmd|' /C calc'!A0"
    assert comments[1]["Comment"] == "'-14.1 is fine"  # text, not a number
    page = client.get(reverse("playlist_review_report", args=[playlist.uuid])).text
    assert "+cmd|&#x27; /C calc&#x27;!A0" in page  # the page shows it as it is


@pytest.mark.parametrize("name", ["playlist_review_report", "playlist_review_report_csv"])
def test_outsiders_get_404_on_a_playlists_report(client, studio, playlist, name):
    client.force_login(studio.oscar)
    assert client.get(reverse(name, args=[playlist.uuid])).status_code == 404


@pytest.mark.parametrize("name", ["storyboard_review_report", "storyboard_review_report_csv"])
def test_outsiders_get_404_on_a_storyboards_report(client, studio, name):
    client.force_login(studio.oscar)
    assert client.get(reverse(name, args=[studio.storyboard.uuid])).status_code == 404


def test_report_queries_do_not_grow_with_reviews(
    client, studio, playlist, items, takes, django_assert_num_queries
):
    client.force_login(studio.vera)
    url = reverse("playlist_review_report", args=[playlist.uuid])
    review_playlist(studio, playlist, takes)
    for take in takes:
        services.review_decide(target=take, state="approved", user=studio.alice)
        services.comment_add(target=take, body="Ok", user=studio.bob)
    # user, playlist (+project, team), its decisions, its comments, the items with
    # their takes and shots, the takes' decisions, the takes' comments; and every page's two:
    # the topbar's team switcher and the generation-pause banner
    with django_assert_num_queries(9):
        client.get(url)
    storyboard_url = reverse("storyboard_review_report_csv", args=[studio.storyboard.uuid])
    # user, storyboard (+project, team), finished takes, decisions, comments
    with django_assert_num_queries(5):
        client.get(storyboard_url)
