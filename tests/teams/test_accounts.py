"""The way in: login throttling (django-axes), and changing or resetting a password."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from studio.teams.throttle import client_address
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def log_in(client, username, password, url=None):
    return client.post(url or reverse("login"), {"username": username, "password": password})


def fail_five_times(client, username, url=None):
    """Four answers "wrong password"; the fifth failure locks at once."""
    statuses = [log_in(client, username, "wrong", url).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]


def test_five_wrong_passwords_lock_the_account_even_with_the_right_one(client, studio):
    fail_five_times(client, "bob")
    response = log_in(client, "bob", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.text
    assert "Try again in 15 minutes" in response.text
    assert "axes_reset" in response.text  # the administrator's way to unlock sooner
    assert "_auth_user_id" not in client.session


def test_the_same_client_is_throttled_for_another_account(client, studio):
    fail_five_times(client, "bob")
    assert log_in(client, "rita", PASSWORD).status_code == 429


def test_the_account_is_throttled_from_another_client(client, studio):
    fail_five_times(client, "bob")
    client.defaults["REMOTE_ADDR"] = "203.0.113.9"
    assert log_in(client, "bob", PASSWORD).status_code == 429


def test_after_the_cool_off_the_right_password_works(client, studio):
    fail_five_times(client, "bob")
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = log_in(client, "bob", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(studio.bob.pk)


def test_the_admin_login_is_throttled_too(client, studio):
    studio.alice.is_staff = True
    studio.alice.save(update_fields=["is_staff"])
    url = reverse("admin:login")
    fail_five_times(client, "alice", url)
    response = log_in(client, "alice", PASSWORD, url)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


# -- Changing and resetting a password

NEW_PASSWORD = "a fresh and longer passphrase 42"


def test_a_user_changes_their_password_from_the_top_bar(client, studio):
    client.force_login(studio.bob)
    page = client.get(reverse("dashboard"))
    assert f'href="{reverse("password_change")}"' in page.text
    form = client.get(reverse("password_change"))
    assert form.status_code == 200 and "Change your password" in form.text
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.url == reverse("password_change_done")
    assert "Your password is changed" in client.get(response.url).text
    studio.bob.refresh_from_db()
    assert studio.bob.check_password(NEW_PASSWORD)


def test_a_wrong_old_password_changes_nothing(client, studio):
    client.force_login(studio.bob)
    page = client.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert page.status_code == 200
    studio.bob.refresh_from_db()
    assert studio.bob.check_password(PASSWORD)


def test_a_forgotten_password_is_reset_by_mail(client, studio, mailoutbox):
    login_page = client.get(reverse("login"))
    assert f'href="{reverse("password_reset")}"' in login_page.text
    response = client.post(reverse("password_reset"), {"email": "bob@example.com"})
    assert response.url == reverse("password_reset_done")
    assert "Check your email" in client.get(response.url).text
    [message] = mailoutbox
    assert message.to == ["bob@example.com"]
    assert "Veo Studio" in message.subject
    [link] = [word for word in message.body.split() if "/reset/" in word]
    form = client.get(link, follow=True)  # Django swaps the token for a session marker
    assert "Choose a new password" in form.text
    response = client.post(
        form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.url == reverse("password_reset_complete")
    assert "log in" in client.get(response.url).text.lower()
    assert log_in(client, "bob", NEW_PASSWORD).status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, studio, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.url == reverse("password_reset_done")
    assert mailoutbox == []


def fail_from(client, usernames, **headers):
    return [
        client.post(
            reverse("login"), {"username": name, "password": "wrong"}, **headers
        ).status_code
        for name in usernames
    ]


def test_a_client_rotating_its_browser_is_still_locked_out(client, studio):
    names = [f"guess{n}" for n in range(6)]
    statuses = [
        fail_from(client, [name], HTTP_USER_AGENT=f"Browser/{n}")[0] for n, name in enumerate(names)
    ]
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert log_in(client, "bob", PASSWORD).status_code == 429


def test_behind_a_proxy_clients_are_told_apart_by_its_header(client, studio, settings):
    settings.LOGIN_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    statuses = fail_from(client, [f"guess{n}" for n in range(5)], HTTP_X_REAL_IP="198.51.100.1")
    assert statuses == [200, 200, 200, 200, 429]
    # Another client behind the same proxy (the same REMOTE_ADDR) is not locked out.
    response = client.post(
        reverse("login"),
        {"username": "bob", "password": PASSWORD},
        HTTP_X_REAL_IP="198.51.100.2",
    )
    assert response.status_code == 302


def test_without_the_header_the_socket_address_is_the_client(rf, settings):
    settings.LOGIN_CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    assert client_address(rf.get("/", REMOTE_ADDR="192.0.2.7")) == "192.0.2.7"
    request = rf.get("/", REMOTE_ADDR="192.0.2.7", HTTP_X_REAL_IP=" 198.51.100.2 ")
    assert client_address(request) == "198.51.100.2"
    settings.LOGIN_CLIENT_IP_HEADER = "REMOTE_ADDR"
    assert client_address(request) == "192.0.2.7"  # a header the client writes is ignored
