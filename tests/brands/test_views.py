"""The brand kits pages: who sees and changes what, the logo served safely, bad input kept.
Outsiders' 404s and every role on every URL: tests/test_access.py and tests/test_roles.py."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from studio.brands.models import BrandKit
from studio.brands.services import KitFields, brand_kit_create
from studio.projects.forms import ProjectBrandKitForm
from studio.teams.models import Team
from tests.urls_table import png

pytestmark = pytest.mark.django_db

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle r="4"/></svg>'


def make_kit(studio, name: str = "Lemonade", logo: bytes | None = None, team=None) -> BrandKit:
    values = KitFields(
        name=name, primary_colour="#FFCC00", secondary_colour="#003366", font="inter"
    )
    upload = None
    if logo is not None:
        kind = "svg" if logo.startswith(b"<svg") else "png"
        upload = SimpleUploadedFile(f"logo.{kind}", logo)
    owner = studio.oscar if team else studio.alice
    return brand_kit_create(user=owner, team=team or studio.team, values=values, logo=upload)


def form_data(**change) -> dict:
    data = {"name": "Lemonade", "primary_colour": "#FFCC00", "secondary_colour": "#003366"}
    data |= {"font": "playfair-display", "cta_text": "Shop now", "end_card_seconds": "3"}
    return data | {"cta_url": "https://lemonade.example"} | change


def test_list_shows_each_kits_logo_swatches_and_font_in_five_queries(
    client, studio, django_assert_num_queries
):
    for n in range(3):
        make_kit(studio, f"Kit {n}", logo=png(4, 4))
    client.force_login(studio.vera)
    url = reverse("brand_kit_list", args=[studio.team.uuid])
    # 1 user, 2 the user's memberships with their teams (the topbar's too), 3 the team's
    # kits (one query, however many kits), 4 the generation-pause banner of every page.
    with django_assert_num_queries(4):
        page = client.get(url)
    assert page.status_code == 200
    text = page.text
    assert text.count('fill="#FFCC00"') == 3 and text.count("brand-font-inter") >= 3
    assert reverse("brand_kit_logo", args=[BrandKit.objects.first().uuid]) in text
    assert "New brand kit" not in text and "Delete" not in text  # a viewer looks


def test_editor_sees_the_edit_controls_and_the_team_page_links_here(client, studio):
    make_kit(studio)
    client.force_login(studio.bob)
    page = client.get(reverse("brand_kit_list", args=[studio.team.uuid])).text
    assert "New brand kit" in page and "Delete" in page
    team_page = client.get(reverse("team_detail", args=[studio.team.uuid])).text
    assert reverse("brand_kit_list", args=[studio.team.uuid]) in team_page


def test_editor_creates_a_kit_with_a_logo(client, studio):
    client.force_login(studio.bob)
    data = form_data(logo=SimpleUploadedFile("logo.png", png(20, 10), "image/png"))
    response = client.post(reverse("brand_kit_create", args=[studio.team.uuid]), data)
    assert response.status_code == 302
    kit = BrandKit.objects.get()
    assert (kit.font, kit.end_card_seconds, kit.logo_type) == (
        "playfair-display",
        Decimal(3),
        "png",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"logo": SimpleUploadedFile("logo.png", b"just text", "image/png")}, "PNG or SVG"),
        ({"font": "comic-sans"}, "Choose one of the bundled fonts."),
        ({"primary_colour": "#GG0000"}, "six hex digits"),
        ({"cta_url": "http://lemonade.example"}, "https://"),
    ],
)
def test_bad_input_gets_a_clear_message_and_keeps_what_was_typed(client, studio, change, message):
    client.force_login(studio.bob)
    response = client.post(
        reverse("brand_kit_create", args=[studio.team.uuid]), form_data(**change)
    )
    assert response.status_code == 200
    assert message in response.text
    assert 'value="Shop now"' in response.text and 'value="Lemonade"' in response.text
    assert not BrandKit.objects.exists()


def test_edit_keeps_the_logo_when_none_is_chosen(client, studio):
    kit = make_kit(studio, logo=png(4, 4))
    client.force_login(studio.bob)
    url = reverse("brand_kit_edit", args=[kit.uuid])
    assert 'value="#FFCC00"' in client.get(url).text
    assert client.post(url, form_data(name="Lemonade 2")).status_code == 302
    kit.refresh_from_db()
    assert kit.name == "Lemonade 2" and kit.logo_type == "png" and kit.logo


def test_png_logo_is_served_privately_as_png(client, studio):
    kit = make_kit(studio, logo=png(4, 4))
    client.force_login(studio.vera)
    response = client.get(reverse("brand_kit_logo", args=[kit.uuid]))
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("private")
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_svg_logo_is_served_with_a_policy_that_runs_no_script(client, studio):
    kit = make_kit(studio, logo=SVG)
    client.force_login(studio.vera)
    response = client.get(reverse("brand_kit_logo", args=[kit.uuid]))
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_kit_without_a_logo_has_no_logo_url(client, studio):
    kit = make_kit(studio)
    client.force_login(studio.alice)
    assert client.get(reverse("brand_kit_logo", args=[kit.uuid])).status_code == 404


def test_project_form_offers_only_the_projects_team_kits(studio):
    own = make_kit(studio)
    foreign = make_kit(studio, "Foreign", team=Team.objects.get(name="Oscar's studio"))
    form = ProjectBrandKitForm(project=studio.project)
    offered = list(form.fields["brand_kit"].queryset)
    assert offered == [own]
    posted = ProjectBrandKitForm({"brand_kit": str(foreign.uuid)}, project=studio.project)
    assert not posted.is_valid()
    assert "Choose one of this team's brand kits." in posted.errors["brand_kit"]


def test_project_picks_a_kit_and_its_page_shows_it(client, studio):
    kit = make_kit(studio)
    client.force_login(studio.bob)
    url = reverse("project_brand_kit", args=[studio.project.uuid])
    assert client.post(url, {"brand_kit": str(kit.uuid)}).status_code == 302
    studio.project.refresh_from_db()
    assert studio.project.brand_kit == kit
    page = client.get(reverse("project_detail", args=[studio.project.uuid])).text
    assert "Lemonade" in page and 'fill="#FFCC00"' in page


def test_another_teams_kit_is_refused_for_a_project(client, studio):
    foreign = make_kit(studio, "Foreign", team=Team.objects.get(name="Oscar's studio"))
    client.force_login(studio.alice)
    url = reverse("project_brand_kit", args=[studio.project.uuid])
    response = client.post(url, {"brand_kit": str(foreign.uuid)})
    assert response.status_code == 200 and "this team&#x27;s brand kits" in response.text
    studio.project.refresh_from_db()
    assert studio.project.brand_kit is None
