"""Variants for testing: shots marked hook, body and call to action are combined into playlists
named by their parts, up to a bound, with the count and the cost shown before anything is made;
the takes they still need are generated once each, and a budget that cannot pay makes nothing."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from studio.activity.models import Activity
from studio.generation.models import Take, TakeStatus
from studio.playlists.models import Playlist
from studio.playlists.services import export_start
from studio.playlists.variants import MAX_LIMIT, variants_make, variants_plan
from studio.projects.models import Shot
from tests.factories import make_shot, make_take

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def mark(shot: Shot, part: str) -> Shot:
    Shot.objects.filter(pk=shot.pk).update(part=part)
    shot.part = part
    return shot


@pytest.fixture
def board(studio):
    """Two hooks, one body, two calls to action (4 combinations). Every shot has a finished
    take except the second call to action (shot 5). 4 s shots at $0.40 a second."""
    veo = studio.veo
    hook_1 = mark(studio.shot, "hook")
    hook_2 = mark(make_shot(studio.storyboard, 2, video_model=veo, title="Splash"), "hook")
    body = mark(make_shot(studio.storyboard, 3, video_model=veo), "body")
    cta_1 = mark(make_shot(studio.storyboard, 4, video_model=veo), "cta")
    cta_2 = mark(make_shot(studio.storyboard, 5, video_model=veo, title="Buy now"), "cta")
    make_shot(studio.storyboard, 6, video_model=veo, prompt="Not in any part")
    takes = {shot.position: make_take(shot) for shot in (hook_1, hook_2, body, cta_1)}
    return {"hooks": [hook_1, hook_2], "body": body, "ctas": [cta_1, cta_2], "takes": takes}


def names() -> list[str]:
    return list(Playlist.objects.order_by("pk").values_list("name", flat=True))


def item_takes(playlist: Playlist) -> list[Take]:
    return [item.take for item in playlist.items.order_by("position").select_related("take")]


# The plan: what the panel shows before anything is made


def test_nothing_marked_makes_no_combination(studio):
    plan = variants_plan(storyboard=studio.storyboard)
    assert (plan.marked, plan.possible, plan.count, plan.missing) == ([], 0, 0, [])


def test_the_count_is_the_product_of_the_marked_groups(studio, board):
    plan = variants_plan(storyboard=studio.storyboard, limit=6)
    assert [len(group.alternatives) for group in plan.groups] == [2, 1, 2]
    assert (plan.possible, plan.count) == (4, 4)
    names = [" + ".join(a.name for a in combination) for combination in plan.combinations]
    assert names == [
        "Hook 1 + Body 1 + CTA 1",
        "Hook 1 + Body 1 + CTA 2",
        "Hook 2 + Body 1 + CTA 1",
        "Hook 2 + Body 1 + CTA 2",
    ]


def test_a_missing_take_is_counted_once_however_many_variants_use_it(studio, board):
    plan = variants_plan(storyboard=studio.storyboard, limit=6)
    assert plan.missing == [board["ctas"][1]]  # in two of the four variants
    assert plan.batch.cost == Decimal("1.60")  # one 4 s take, as Generate prices it
    assert plan.batch.left_after == Decimal("100.00") - Decimal("6.40") - Decimal("1.60")


def test_with_every_take_finished_nothing_is_spent(studio, board):
    make_take(board["ctas"][1])
    plan = variants_plan(storyboard=studio.storyboard, limit=6)
    assert (plan.missing, plan.batch.cost) == ([], Decimal("0.00"))


def test_the_bound_keeps_the_first_combinations_and_only_their_takes(studio, board):
    plan = variants_plan(storyboard=studio.storyboard, limit=1)
    assert (plan.possible, plan.count) == (4, 1)
    assert plan.missing == []  # CTA 2 is not in the first variant
    assert plan.batch.cost == Decimal("0.00")


@pytest.mark.parametrize("limit", [0, MAX_LIMIT + 1])
def test_a_bound_out_of_range_is_refused(studio, limit):
    with pytest.raises(ValidationError):
        variants_plan(storyboard=studio.storyboard, limit=limit)


def test_an_empty_part_is_left_out_of_the_combinations(studio):
    mark(studio.shot, "hook")
    mark(make_shot(studio.storyboard, 2, video_model=studio.veo), "cta")
    plan = variants_plan(storyboard=studio.storyboard)
    assert [group.part for group in plan.empty] == ["body"]
    assert plan.possible == 1


def test_the_selected_take_wins_then_the_latest_finished_then_one_rendering(studio):
    mark(studio.shot, "hook")
    first = make_take(studio.shot)
    make_take(studio.shot)
    rendering = make_take(studio.shot, status=TakeStatus.RUNNING)
    latest = variants_plan(storyboard=studio.storyboard).combinations[0][0].take
    assert latest is not None and latest.take_number == 2
    Shot.objects.filter(pk=studio.shot.pk).update(selected_take=first)
    assert variants_plan(storyboard=studio.storyboard).combinations[0][0].take == first
    Take.objects.exclude(pk=rendering.pk).update(status=TakeStatus.FAILED)
    Shot.objects.filter(pk=studio.shot.pk).update(selected_take=None)
    plan = variants_plan(storyboard=studio.storyboard)
    assert (plan.combinations[0][0].take, plan.missing) == (rendering, [])


# Making them


def test_make_builds_a_playlist_per_combination_named_by_its_parts(studio, board):
    playlists = variants_make(user=studio.bob, storyboard=studio.storyboard, limit=6)
    assert names() == [
        "Hero spot: Hook 1 + Body 1 + CTA 1",
        "Hero spot: Hook 1 + Body 1 + CTA 2",
        "Hero spot: Hook 2 + Body 1 + CTA 1",
        "Hero spot: Hook 2 + Body 1 + CTA 2",
    ]
    takes = board["takes"]
    assert item_takes(playlists[0]) == [takes[1], takes[3], takes[4]]
    assert item_takes(playlists[2]) == [takes[2], takes[3], takes[4]]
    first = playlists[0]
    assert (first.platform, first.aspect_ratio, first.target_seconds) == ("youtube", "16:9", 15)
    assert first.created_by == studio.bob


def test_the_missing_take_is_generated_once_and_used_by_every_variant_with_it(studio, board):
    playlists = variants_make(user=studio.bob, storyboard=studio.storyboard, limit=6)
    new = Take.objects.get(shot=board["ctas"][1])
    assert (new.status, new.estimated_cost, new.created_by) == (
        "pending",
        Decimal("1.60"),
        studio.bob,
    )
    assert item_takes(playlists[1])[-1] == new and item_takes(playlists[3])[-1] == new
    subjects = list(Activity.objects.values_list("verb", "subject"))
    assert ("generated", "take 1 of shot 5 in Hero spot") in subjects
    assert ("created", "4 variants of Hero spot and 1 new take") in subjects


def test_a_variant_with_a_take_still_rendering_waits_to_be_exported(studio, board):
    playlists = variants_make(user=studio.bob, storyboard=studio.storyboard, limit=2)
    with pytest.raises(ValidationError, match="Item 3 is not a finished take"):
        export_start(user=studio.bob, playlist=playlists[1])  # CTA 2's new take is pending


def test_the_bound_makes_only_the_first_variants(studio, board):
    variants_make(user=studio.bob, storyboard=studio.storyboard, limit=2)
    assert len(names()) == 2
    variants_make(user=studio.bob, storyboard=studio.storyboard, limit=4)
    assert len(names()) == 4 == len(set(names()))  # the first two are not made again
    assert Take.objects.filter(shot=board["ctas"][1]).count() == 1  # not twice


def test_make_pressed_twice_makes_nothing_twice(studio, board):
    variants_make(user=studio.bob, storyboard=studio.storyboard, limit=6)
    before = (names(), Take.objects.count())
    with pytest.raises(ValidationError, match="These variants are made already"):
        variants_make(user=studio.bob, storyboard=studio.storyboard, limit=6)
    assert (names(), Take.objects.count()) == before


def test_vertical_shots_make_vertical_playlists(studio):
    mark(studio.shot, "hook")
    Shot.objects.filter(pk=studio.shot.pk).update(aspect_ratio="9:16", duration=8)
    body = mark(
        make_shot(studio.storyboard, 2, video_model=studio.veo, aspect_ratio="9:16"), "body"
    )
    make_take(Shot.objects.get(pk=studio.shot.pk))
    make_take(body)
    (playlist,) = variants_make(user=studio.alice, storyboard=studio.storyboard, limit=6)
    assert (playlist.platform, playlist.aspect_ratio, playlist.target_seconds) == (
        "vertical",
        "9:16",
        15,
    )


def test_the_budget_refuses_the_whole_lot_and_nothing_is_made(studio, board):
    studio.project.budget = Decimal("7.00")  # $6.40 spent: the missing $1.60 take does not fit
    studio.project.save(update_fields=["budget"])
    with pytest.raises(ValidationError) as refused:
        variants_make(user=studio.bob, storyboard=studio.storyboard, limit=6)
    assert refused.value.messages[0].startswith("No variants were made. This take costs $1.60")
    assert not Playlist.objects.exists()
    assert Take.objects.count() == 4
    assert not Activity.objects.exists()


def test_nothing_marked_is_refused_with_what_to_do(studio):
    with pytest.raises(ValidationError, match="Mark shots as hook, body or call to action"):
        variants_make(user=studio.bob, storyboard=studio.storyboard, limit=6)


@pytest.mark.parametrize("who", ["rita", "vera"])
def test_reviewer_and_viewer_cannot_make_variants(studio, board, who):
    with pytest.raises(PermissionDenied):
        variants_make(user=getattr(studio, who), storyboard=studio.storyboard, limit=6)
    assert not Playlist.objects.exists() and Take.objects.count() == 4


def test_each_variant_has_its_own_review(client, studio, board):
    first, second = variants_make(user=studio.bob, storyboard=studio.storyboard, limit=2)
    client.force_login(studio.rita)
    decide = reverse("playlist_decide", args=[first.uuid])
    assert client.post(decide, {"state": "approved"}).status_code in (200, 302)
    assert first.review_decisions.count() == 1 and second.review_decisions.count() == 0


# The panel and the Make button


def test_the_panel_shows_count_and_cost_before_anything_is_made(
    client, studio, board, django_assert_num_queries
):
    client.force_login(studio.bob)
    url = reverse("storyboard_variants", args=[studio.storyboard.uuid])
    # user, storyboard; the marked shots with their models and selected takes,
    # their usable takes; the project's spent and reserved; the membership (Make offered)
    with django_assert_num_queries(6):
        response = client.get(url, {"limit": "3"}, **HTMX)
    text = response.text
    assert 'id="variants-alert"' in text and "<html" not in text
    assert (
        "2 \N{MULTIPLICATION SIGN} 1 \N{MULTIPLICATION SIGN} 2 = <strong>4 combinations</strong>"
        in text
    )
    assert "with at most 3, the first 3 will be made:" in text
    assert "Hook 2</strong>: shot 2 “Splash”" in text
    assert "needs a take ($1.60)" in text
    assert "(shot 5)" in text and "<strong>1 shot, 4 s, $1.60</strong>" in text
    assert "$92.00 of the budget remains afterwards." in text
    assert "Make 3 variants</button>" in text
    assert not Playlist.objects.exists() and Take.objects.count() == 4


def test_the_panel_says_what_to_do_when_nothing_is_marked(client, studio):
    client.force_login(studio.bob)
    url = reverse("storyboard_variants", args=[studio.storyboard.uuid])
    text = client.get(url, **HTMX).text
    assert "No shot is marked yet. Mark shots as hook, body or call to action" in text
    assert "/variants/make/" not in text


def test_the_panel_names_an_empty_part(client, studio):
    mark(studio.shot, "hook")
    client.force_login(studio.bob)
    text = client.get(reverse("storyboard_variants", args=[studio.storyboard.uuid]), **HTMX).text
    assert "No shot is marked body: the variants will have none." in text


def test_the_panel_refuses_a_bound_out_of_range_in_words(client, studio, board):
    client.force_login(studio.bob)
    url = reverse("storyboard_variants", args=[studio.storyboard.uuid])
    text = client.get(url, {"limit": "99"}, **HTMX).text
    assert f"Make between 1 and {MAX_LIMIT} variants at a time." in text
    assert "Make 99" not in text


def test_a_viewer_sees_the_panel_without_the_make_button(client, studio, board):
    client.force_login(studio.vera)
    text = client.get(reverse("storyboard_variants", args=[studio.storyboard.uuid]), **HTMX).text
    assert "4 combinations" in text and "/variants/make/" not in text
    assert "An editor of the team can make these variants." in text


def test_without_javascript_the_panel_is_a_page_of_its_own(client, studio, board):
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_variants", args=[studio.storyboard.uuid])).text
    assert "<h1>Variants of Hero spot</h1>" in page and "4 combinations" in page


def test_the_storyboard_page_loads_the_panel(client, studio):
    client.force_login(studio.vera)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid])).text
    url = reverse("storyboard_variants", args=[studio.storyboard.uuid])
    assert f'hx-get="{url}" hx-trigger="load"' in page
    # Drawn again after a change, with the bound as set (its form is there once the panel is).
    assert (
        f'hx-get="{url}" hx-trigger="storyboard-changed from:body" hx-include="#variants-form"'
        in page
    )


def test_make_answers_with_the_playlists_made(client, studio, board):
    client.force_login(studio.bob)
    url = reverse("variants_make", args=[studio.storyboard.uuid])
    response = client.post(url, {"limit": "4"}, **HTMX)
    assert response.status_code == 200
    assert "Made 4 variants." in response.text
    for playlist in Playlist.objects.all():
        assert reverse("playlist_review", args=[playlist.uuid]) in response.text
    assert "HX-Trigger" not in response  # the panel would redraw itself over the answer


def test_make_without_javascript_goes_to_the_project_page(client, studio, board):
    client.force_login(studio.bob)
    url = reverse("variants_make", args=[studio.storyboard.uuid])
    response = client.post(url, {"limit": "2"})
    assert response.url == reverse("project_detail", args=[studio.project.uuid])
    assert Playlist.objects.count() == 2


def test_a_refused_make_shows_why_in_the_panel(client, studio, board):
    studio.project.budget = Decimal("7.00")
    studio.project.save(update_fields=["budget"])
    client.force_login(studio.bob)
    url = reverse("variants_make", args=[studio.storyboard.uuid])
    response = client.post(url, {"limit": "6"}, **HTMX)
    assert response["HX-Retarget"] == "#variants-alert"
    assert "No variants were made." in response.text
    assert not Playlist.objects.exists()


def test_outsider_gets_404_and_nothing_is_made(client, studio, board):
    client.force_login(studio.oscar)
    panel = reverse("storyboard_variants", args=[studio.storyboard.uuid])
    make = reverse("variants_make", args=[studio.storyboard.uuid])
    assert client.get(panel).status_code == 404
    assert client.post(make, {"limit": "6"}).status_code == 404
    assert not Playlist.objects.exists() and Take.objects.count() == 4


def test_viewer_gets_403_from_make(client, studio, board):
    client.force_login(studio.vera)
    url = reverse("variants_make", args=[studio.storyboard.uuid])
    assert client.post(url, {"limit": "6"}).status_code == 403
    assert not Playlist.objects.exists()
