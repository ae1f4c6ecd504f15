"""Elements: @name in a prompt expanded to the kit's description (studio/brands/prompts.py), and
the kit's page where editors keep them. Every role on every element URL, and the outsider's 404:
tests/test_roles.py and tests/test_access.py."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from studio.brands.models import Element
from studio.brands.prompts import join_style, prompt_as_sent
from studio.brands.services import element_create, element_delete, element_update
from tests.factories import make_brand_kit

SNEAKER = {
    "sneaker": "white leather running sneaker with a teal swoosh",
    "red-jacket": "a red jacket",
}


# Expansion: no database


@pytest.mark.parametrize(
    ("prompt", "sent", "unknown"),
    [
        ("A runner laces @sneaker", f"A runner laces {SNEAKER['sneaker']}", ()),
        (
            "@sneaker, then @sneaker again",
            f"{SNEAKER['sneaker']}, then {SNEAKER['sneaker']} again",
            (),
        ),
        ("Two @sneakers on a bench", "Two @sneakers on a bench", ("sneakers",)),
        ("Mail a@b.com or x@sneaker", "Mail a@b.com or x@sneaker", ()),
        ("(@Sneaker).", f"({SNEAKER['sneaker']}).", ()),
        ("@red-jacket and @red", "a red jacket and @red", ("red",)),
        ("@hat, @hat and @cap", "@hat, @hat and @cap", ("hat", "cap")),
        ("@sneaker_2 stays", "@sneaker_2 stays", ()),
    ],
)
def test_at_names_of_the_kit_are_expanded_and_others_kept_as_written(prompt, sent, unknown):
    result = prompt_as_sent(prompt, SNEAKER)
    assert (result.text, result.unknown) == (sent, unknown)


@pytest.mark.parametrize(
    ("prompt", "style", "sent"),
    [
        ("A lake at dawn", "Shot on 35mm", "A lake at dawn. Shot on 35mm"),
        ("A lake at dawn.  ", "Shot on 35mm", "A lake at dawn. Shot on 35mm"),
        ("A lake at dawn!", " Shot on 35mm ", "A lake at dawn! Shot on 35mm"),
        ("A lake at dawn", "   ", "A lake at dawn"),
    ],
)
def test_the_style_line_is_appended_as_its_own_sentence(prompt, style, sent):
    assert join_style(prompt, style) == sent
    assert prompt_as_sent(prompt, {}, style).text == sent


# Services


@pytest.fixture
def kit(studio):
    return make_brand_kit(studio.project, {"sneaker": "A white sneaker"})


@pytest.mark.django_db
def test_editor_adds_an_element_and_its_name_is_kept_lowercase(studio, kit):
    element = element_create(user=studio.bob, kit=kit, name="Runner", description=" A runner ")
    assert (element.name, element.description) == ("runner", "A runner")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["rita", "vera", "oscar"])
def test_reviewers_viewers_and_outsiders_may_not_change_elements(studio, kit, who):
    user = getattr(studio, who)
    element = kit.elements.get()
    with pytest.raises(PermissionDenied):
        element_create(user=user, kit=kit, name="runner", description="A runner")
    with pytest.raises(PermissionDenied):
        element_update(user=user, element=element, name="shoe", description="A shoe")
    with pytest.raises(PermissionDenied):
        element_delete(user=user, element=element)
    assert list(Element.objects.values_list("name", "description")) == [
        ("sneaker", "A white sneaker")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "description", "field"),
    [
        ("sneaker", "Another", "name"),  # taken in this kit
        ("two words", "A runner", "name"),
        ("-edge", "A runner", "name"),
        ("x" * 41, "A runner", "name"),
        ("runner", "", "description"),
        ("runner", "x" * 501, "description"),
    ],
)
def test_bad_elements_are_refused(studio, kit, name, description, field):
    with pytest.raises(ValidationError) as refused:
        element_create(user=studio.bob, kit=kit, name=name, description=description)
    assert field in refused.value.message_dict
    assert kit.elements.count() == 1


@pytest.mark.django_db
def test_the_same_name_may_live_in_two_kits(studio, kit):
    other = make_brand_kit(studio.project, name="Other")
    assert element_create(user=studio.bob, kit=other, name="sneaker", description="A red one")


@pytest.mark.django_db
def test_renaming_onto_a_taken_name_is_refused_and_changes_nothing(studio, kit):
    runner = element_create(user=studio.bob, kit=kit, name="runner", description="A runner")
    with pytest.raises(ValidationError):
        element_update(user=studio.bob, element=runner, name="sneaker", description="x")
    runner.refresh_from_db()
    assert (runner.name, runner.description) == ("runner", "A runner")


# The kit's page


@pytest.mark.django_db
def test_kit_page_lists_the_elements_and_adds_one(client, studio, kit):
    client.force_login(studio.bob)
    url = reverse("brand_kit_edit", args=[kit.uuid])
    page = client.get(url).text
    assert "@sneaker" in page and "A white sneaker" in page
    add = reverse("brand_kit_element_create", args=[kit.uuid])
    response = client.post(add, {"name": "runner", "description": "A runner in teal"})
    assert response.status_code == 302 and response["Location"].endswith("#elements")
    assert "A runner in teal" in client.get(url).text


@pytest.mark.django_db
def test_a_refused_element_comes_back_with_its_message_and_text(client, studio, kit):
    client.force_login(studio.bob)
    add = reverse("brand_kit_element_create", args=[kit.uuid])
    response = client.post(add, {"name": "sneaker", "description": "A second sneaker"})
    assert response.status_code == 200
    assert "already has an element called @sneaker" in response.text
    assert "A second sneaker" in response.text
    assert kit.elements.count() == 1


@pytest.mark.django_db
def test_kit_form_keeps_the_style_line(client, studio, kit):
    client.force_login(studio.bob)
    data = {"name": "Lemonade", "primary_colour": "#FFCC00", "secondary_colour": "#003366"}
    data |= {"font": "inter", "end_card_seconds": "3", "style_line": " Shot on 35mm "}
    assert client.post(reverse("brand_kit_edit", args=[kit.uuid]), data).status_code == 302
    kit.refresh_from_db()
    assert kit.style_line == "Shot on 35mm"
    data["style_line"] = "x" * 301
    response = client.post(reverse("brand_kit_edit", args=[kit.uuid]), data)
    assert response.status_code == 200 and "at most 300 characters" in response.text
