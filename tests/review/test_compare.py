"""Compare two versions: two finished takes of one shot, or two finished exports of one
playlist, for anyone in the team; nobody else, and never a version from elsewhere."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from studio.generation.models import TakeStatus
from studio.playlists.models import Export, ExportStatus
from tests.factories import make_playlist, make_take

pytestmark = pytest.mark.django_db


@pytest.fixture
def four_takes(studio):
    """Takes 1 to 4 of the studio's shot: 1, 2 and 4 finished, 3 failed; take 2 selected."""
    takes = [
        make_take(studio.shot, n, status=TakeStatus.FAILED if n == 3 else TakeStatus.COMPLETED)
        for n in (1, 2, 3, 4)
    ]
    studio.shot.selected_take = takes[1]
    studio.shot.save(update_fields=["selected_take"])
    return takes


def make_export(playlist, version: int, status: str = ExportStatus.DONE) -> Export:
    export = Export.objects.create(
        playlist=playlist, version=version, status=status, file_name=f"cut_v{version}.mp4"
    )
    if status == ExportStatus.DONE:
        export.video.save(f"cut_v{version}.mp4", ContentFile(b"0123456789"))
    return export


def compare_url(shot, **query) -> str:
    url = reverse("shot_compare", args=[shot.uuid])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_a_viewer_compares_the_selected_take_with_the_latest_other(
    client, studio, four_takes, django_assert_num_queries
):
    client.force_login(studio.vera)
    # user, shot (+storyboard, project, team, model), finished takes, and the
    # page's team switcher and pause banner
    with django_assert_num_queries(5):
        page = client.get(compare_url(studio.shot)).text
    first, second = four_takes[1], four_takes[3]
    assert f'src="/takes/{first.uuid}/video.mp4" data-first' in page
    assert f'src="/takes/{second.uuid}/video.mp4" data-second' in page
    assert 'aria-label="First: Take 2 (4.0 s, selected)"' in page
    assert 'aria-label="Second: Take 4 (4.0 s)"' in page
    # Both selects offer the three finished takes, not the failed one.
    assert page.count(f'<option value="{four_takes[0].uuid}"') == 2
    assert str(four_takes[2].uuid) not in page


def test_the_selects_choose_either_take(client, studio, four_takes):
    client.force_login(studio.rita)
    page = client.get(compare_url(studio.shot, a=four_takes[0].uuid, b=four_takes[1].uuid)).text
    assert f'<option value="{four_takes[0].uuid}" selected>' in page
    assert 'aria-label="First: Take 1 (4.0 s)"' in page
    assert 'aria-label="Second: Take 2 (4.0 s, selected)"' in page


def test_without_a_selected_take_the_latest_two_are_compared(client, studio):
    takes = [make_take(studio.shot, n) for n in (1, 2, 3)]
    client.force_login(studio.bob)
    page = client.get(compare_url(studio.shot)).text
    assert 'aria-label="First: Take 3 (4.0 s)"' in page
    assert 'aria-label="Second: Take 2 (4.0 s)"' in page
    assert str(takes[0].uuid) in page  # offered in the selects


@pytest.mark.parametrize("which", ["other_shot", "failed", "not_a_uuid"])
def test_a_take_that_is_not_a_finished_take_of_the_shot_is_404(
    client, studio, four_takes, shots, which
):
    other = {
        "other_shot": make_take(shots[1]).uuid,
        "failed": four_takes[2].uuid,
        "not_a_uuid": "nope",
    }[which]
    client.force_login(studio.alice)
    assert client.get(compare_url(studio.shot, b=other)).status_code == 404


def test_one_finished_take_says_two_are_needed(client, studio):
    make_take(studio.shot, 1)
    client.force_login(studio.alice)
    page = client.get(compare_url(studio.shot)).text
    assert "Two finished takes are needed to compare: there is one so far." in page
    assert "<video" not in page


def test_an_outsider_gets_404_for_takes_and_exports(client, studio, four_takes, playlist):
    make_export(playlist, 1)
    make_export(playlist, 2)
    client.force_login(studio.oscar)
    assert client.get(compare_url(studio.shot)).status_code == 404
    assert client.get(reverse("playlist_compare", args=[playlist.uuid])).status_code == 404


def test_the_storyboard_links_to_the_comparison_once_two_takes_are_finished(client, studio):
    client.force_login(studio.vera)
    url = reverse("storyboard_detail", args=[studio.storyboard.uuid]) + "?view=list"
    make_take(studio.shot, 1)
    make_take(studio.shot, 2, status=TakeStatus.FAILED)
    assert "Compare takes of shot 1" not in client.get(url).text
    make_take(studio.shot, 3)
    assert f'href="{compare_url(studio.shot)}">Compare takes of shot 1' in client.get(url).text


def test_a_viewer_compares_the_latest_two_exports(
    client, studio, playlist, django_assert_num_queries
):
    exports = [make_export(playlist, v) for v in (1, 2, 3)]
    make_export(playlist, 4, ExportStatus.FAILED)
    client.force_login(studio.vera)
    url = reverse("playlist_compare", args=[playlist.uuid])
    # user, playlist (+project, team), finished exports, team switcher, pause banner
    with django_assert_num_queries(5):
        page = client.get(url).text
    assert "Compare exports of Hero 15" in page
    assert f'src="/exports/{exports[2].uuid}/video.mp4" data-first' in page
    assert f'src="/exports/{exports[1].uuid}/video.mp4" data-second' in page
    assert "cut_v4" not in page
    page = client.get(f"{url}?a={exports[0].uuid}&b={exports[2].uuid}").text
    assert 'aria-label="First: Version 1: cut_v1.mp4"' in page
    assert 'aria-label="Second: Version 3: cut_v3.mp4"' in page


def test_an_export_of_another_playlist_is_404(client, studio, playlist):
    make_export(playlist, 1)
    make_export(playlist, 2)
    foreign = make_export(make_playlist(studio.project, name="Teaser"), 1)
    client.force_login(studio.alice)
    url = reverse("playlist_compare", args=[playlist.uuid])
    assert client.get(f"{url}?b={foreign.uuid}").status_code == 404


def test_the_playlist_page_links_to_the_comparison_once_two_exports_are_done(
    client, studio, playlist
):
    client.force_login(studio.vera)
    url = reverse("playlist_detail", args=[playlist.uuid])
    make_export(playlist, 1)
    make_export(playlist, 2, ExportStatus.FAILED)
    assert "Compare two exports" not in client.get(url).text
    make_export(playlist, 3)
    assert "Compare two exports" in client.get(url).text
    page = client.get(reverse("playlist_compare", args=[playlist.uuid])).text
    assert "Two finished exports" not in page
