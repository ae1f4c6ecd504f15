"""GET /healthz: 200 "ok" while the database answers, 503 when it does not; anonymous, no
cookie, and reached by 127.0.0.1 over plain http even with production's host and https rules."""

from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_anonymous_health_check_is_ok_without_a_cookie(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")
    assert "Set-Cookie" not in response and not response.cookies


@pytest.mark.django_db
def test_health_check_is_503_when_the_database_fails(client):
    with mock.patch.object(CursorWrapper, "execute", side_effect=OperationalError("gone")):
        response = client.get("/healthz")
    assert response.status_code == 503 and response.content == b"database unavailable"
    assert "Set-Cookie" not in response


@pytest.mark.django_db
def test_the_containers_probe_passes_the_host_and_https_rules(settings):
    settings.ALLOWED_HOSTS = ["studio.example.com"]
    settings.SECURE_SSL_REDIRECT = True
    probe = Client(HTTP_HOST="127.0.0.1:8000")
    assert probe.get("/healthz").status_code == 200
    assert probe.get("/login/").status_code == 400  # the rules still hold for everything else


@pytest.mark.django_db
def test_health_check_answers_only_get_and_head(client):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405
