"""The error pages: in the studio's layout, with a way back, and with DEBUG off (pytest-django
runs every test with it off, as in production)."""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


def test_a_role_that_may_not_gets_the_studios_403_with_ways_back(client, studio):
    client.force_login(studio.vera)
    page = reverse("project_detail", args=[studio.project.uuid])
    response = client.get(
        reverse("storyboard_create", args=[studio.project.uuid]),
        headers={"Referer": f"http://testserver{page}"},
    )
    assert response.status_code == 403
    text = response.text
    assert "You cannot do this here" in text
    assert 'class="topbar"' in text and "studio.css" in text
    assert f'href="http://testserver{page}">Back to the previous page' in text
    assert f'href="{reverse("dashboard")}">Go to your projects' in text


def test_an_outsiders_404_is_the_studios_page_and_names_nothing(client, studio):
    client.force_login(studio.oscar)
    response = client.get(reverse("project_detail", args=[studio.project.uuid]))
    assert response.status_code == 404
    assert "This page does not exist" in response.text
    assert studio.project.name not in response.text
    assert "Go to your projects" in response.text


def test_no_way_back_to_another_site(client, studio):
    client.force_login(studio.alice)
    response = client.get("/no-such-page/", headers={"Referer": "https://evil.example/phish"})
    assert response.status_code == 404
    assert "evil.example" not in response.text
    assert "Back to the previous page" not in response.text


def test_no_way_back_to_the_page_that_failed(client, studio):
    client.force_login(studio.alice)
    response = client.get("/no-such-page/", headers={"Referer": "http://testserver/no-such-page/"})
    assert "Back to the previous page" not in response.text


def test_a_guest_without_login_gets_the_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "This page does not exist" in response.text


def test_a_stale_form_gets_the_studios_csrf_page(studio):
    client = Client(enforce_csrf_checks=True)
    client.force_login(studio.alice)
    response = client.post(reverse("team_create"), {"name": "Forged"})
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert "Nothing was saved" in response.text
    assert 'class="topbar"' in response.text


@pytest.mark.django_db(databases=[])  # any query fails the test: the database may be what broke
def test_the_500_page_renders_without_the_database_or_a_session():
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    text = response.content.decode()
    assert "Something went wrong on our side" in text
    assert "studio.css" in text
    assert 'href="/">Go to your projects' in text
