"""Brand kits change only through the services, which check the role and every field first."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from studio.activity.models import Activity
from studio.brands.models import BrandKit
from studio.brands.services import (
    KitFields,
    brand_kit_create,
    brand_kit_delete,
    brand_kit_update,
)
from studio.projects.models import Project
from studio.projects.services import project_brand_kit_set
from studio.teams.models import Membership, Team
from tests.urls_table import png

pytestmark = pytest.mark.django_db

LEMONADE = KitFields(
    name="Lemonade",
    primary_colour="#ffcc00",
    secondary_colour="#003366",
    font="montserrat",
    cta_text="Shop now",
    cta_url="https://lemonade.example/shop",
    end_card_seconds=Decimal("2.5"),
)


def logo(data: bytes | None = None, name: str = "logo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png(40, 20) if data is None else data, "image/png")


@pytest.fixture
def kit(studio) -> BrandKit:
    return brand_kit_create(user=studio.alice, team=studio.team, values=LEMONADE, logo=logo())


def test_editor_creates_a_kit_with_its_logo(studio):
    kit = brand_kit_create(user=studio.bob, team=studio.team, values=LEMONADE, logo=logo())
    kit.refresh_from_db()
    assert kit.primary_colour == "#FFCC00" and kit.font == "montserrat"
    assert kit.logo_type == "png" and kit.logo.name.endswith(".png")
    assert kit.logo.read().startswith(b"\x89PNG")


@pytest.mark.parametrize("who", ["rita", "vera", "oscar"])
def test_reviewers_viewers_and_outsiders_may_not_create(studio, who):
    with pytest.raises(PermissionDenied):
        brand_kit_create(user=getattr(studio, who), team=studio.team, values=LEMONADE)
    assert not BrandKit.objects.exists()


@pytest.mark.parametrize("who", ["rita", "vera", "oscar"])
def test_only_editors_and_owners_may_change_or_delete(studio, kit, who):
    user = getattr(studio, who)
    with pytest.raises(PermissionDenied):
        brand_kit_update(user=user, kit=kit, values=LEMONADE)
    with pytest.raises(PermissionDenied):
        brand_kit_delete(user=user, kit=kit)
    assert BrandKit.objects.filter(pk=kit.pk).exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"primary_colour": "red"}, "primary_colour"),
        ({"secondary_colour": "#12345"}, "secondary_colour"),
        ({"font": "comic-sans"}, "font"),
        ({"cta_url": "http://lemonade.example"}, "cta_url"),
        ({"cta_url": "javascript:alert(1)"}, "cta_url"),
        ({"end_card_seconds": Decimal("6")}, "end_card_seconds"),
        ({"end_card_seconds": Decimal("0.5")}, "end_card_seconds"),
    ],
)
def test_bad_fields_are_refused_and_nothing_changes(studio, kit, change, field):
    values = KitFields(**(LEMONADE.__dict__ | change | {"name": "Other"}))
    with pytest.raises(ValidationError) as caught:
        brand_kit_update(user=studio.bob, kit=kit, values=values)
    assert field in caught.value.message_dict
    assert BrandKit.objects.get(pk=kit.pk).name == "Lemonade"


def test_a_bad_logo_is_refused_and_the_old_logo_kept(studio, kit):
    before = kit.logo.name
    with pytest.raises(ValidationError) as caught:
        brand_kit_update(
            user=studio.bob, kit=kit, values=LEMONADE, logo=logo(b"not an image", "x.png")
        )
    assert "logo" in caught.value.message_dict
    assert BrandKit.objects.get(pk=kit.pk).logo.name == before


def test_an_svg_logo_replaces_the_png(studio, kit):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle r="4"/></svg>'
    brand_kit_update(user=studio.bob, kit=kit, values=LEMONADE, logo=logo(svg, "logo.svg"))
    kit.refresh_from_db()
    assert kit.logo_type == "svg" and kit.logo.name.endswith(".svg")


def test_two_kits_of_a_team_may_not_share_a_name(studio, kit):
    with pytest.raises(ValidationError) as caught:
        brand_kit_create(user=studio.bob, team=studio.team, values=LEMONADE)
    assert "already has" in caught.value.message_dict["name"][0]


def test_deleting_a_kit_leaves_its_projects_without_one(studio, kit):
    project_brand_kit_set(user=studio.bob, project=studio.project, kit=kit)
    brand_kit_delete(user=studio.alice, kit=kit)
    studio.project.refresh_from_db()
    assert studio.project.brand_kit is None


def test_a_project_picks_one_of_its_teams_kits(studio, kit):
    project_brand_kit_set(user=studio.bob, project=studio.project, kit=kit)
    studio.project.refresh_from_db()
    assert studio.project.brand_kit == kit
    project_brand_kit_set(user=studio.bob, project=studio.project, kit=None)
    studio.project.refresh_from_db()
    assert studio.project.brand_kit is None
    # The project's log says who chose what, as for its other settings.
    subjects = list(Activity.objects.order_by("pk").values_list("actor__username", "subject"))
    assert subjects == [("bob", f"brand kit to {kit.name}"), ("bob", "brand kit to none")]


def test_a_project_may_not_pick_another_teams_kit(studio):
    oscars = Team.objects.get(name="Oscar's studio")
    foreign = brand_kit_create(user=studio.oscar, team=oscars, values=LEMONADE)
    with pytest.raises(ValidationError):
        project_brand_kit_set(user=studio.alice, project=studio.project, kit=foreign)
    studio.project.refresh_from_db()
    assert studio.project.brand_kit is None
    studio.project.brand_kit = foreign  # the model refuses it too
    with pytest.raises(ValidationError):
        studio.project.full_clean()


def test_a_viewer_may_not_pick_the_projects_kit(studio, kit):
    with pytest.raises(PermissionDenied):
        project_brand_kit_set(user=studio.vera, project=studio.project, kit=kit)


def test_a_new_project_can_start_with_one_of_its_teams_kits(client, studio, kit):
    other_team = Team.objects.create(name="Rivals")
    Membership.objects.create(team=other_team, user=studio.alice, role="owner")
    theirs = brand_kit_create(user=studio.alice, team=other_team, values=LEMONADE)
    client.force_login(studio.alice)
    form = client.get(reverse("project_create")).text
    # Two teams offered: each kit says whose it is.
    assert f"{studio.team.name}: {kit.name}" in form and f"Rivals: {theirs.name}" in form
    fields = {"name": "Winter sale", "client": "Snow", "budget": "50", "team": studio.team.pk}
    refused = client.post(reverse("project_create"), fields | {"brand_kit": theirs.uuid})
    assert "Choose one of the team&#x27;s brand kits." in refused.text
    assert 'value="Winter sale"' in refused.text  # nothing typed is lost
    client.post(reverse("project_create"), fields | {"brand_kit": kit.uuid})
    assert Project.objects.get(name="Winter sale").brand_kit == kit
