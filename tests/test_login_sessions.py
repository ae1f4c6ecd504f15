"""A signed-in member's session is read from the shared cache (a live poll every 3 s would
otherwise read its row each time), written through to the database, and its cached copy is
kept at most a minute."""

import pytest
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from studio.cache import SESSION_SECONDS
from tests.helpers import live_poll

pytestmark = pytest.mark.django_db


def cached_seconds(session_key: str) -> int:
    sessions = caches["sessions"]
    return sessions._cache.get_client().ttl(sessions.make_key(KEY_PREFIX + session_key))


def test_a_poll_reads_the_session_from_the_cache(client, studio):
    client.force_login(studio.bob)
    with CaptureQueriesContext(connection) as queries:
        assert live_poll(client, studio).status_code == 200
    assert [each["sql"] for each in queries if "django_session" in each["sql"]] == []
    # Written through: the database has it, for when the cache forgets it.
    assert Session.objects.filter(session_key=client.session.session_key).exists()


def test_after_logging_out_the_session_opens_nothing(client, studio):
    client.force_login(studio.bob)
    cookie = client.cookies["sessionid"].value
    assert live_poll(client, studio).status_code == 200
    client.post(reverse("logout"))
    client.cookies["sessionid"] = cookie  # the old cookie, kept by whoever had it
    assert live_poll(client, studio).status_code == 302


def test_a_logout_the_cache_missed_holds_at_most_a_minute(client, studio):
    client.force_login(studio.bob)
    key = client.session.session_key
    assert 0 < cached_seconds(key) <= SESSION_SECONDS
    # The logout reached the database, and its delete of the cached copy was dropped (Redis
    # unreachable for that moment): the copy still opens the studio, for its minute at most.
    Session.objects.filter(session_key=key).delete()
    assert live_poll(client, studio).status_code == 200
    caches["sessions"].delete(KEY_PREFIX + key)  # the minute is over
    assert live_poll(client, studio).status_code == 302


def test_a_session_read_back_from_the_database_is_kept_a_minute_too(client, studio):
    client.force_login(studio.bob)
    key = client.session.session_key
    caches["sessions"].delete(KEY_PREFIX + key)  # forgotten (evicted, or its minute is over)
    assert live_poll(client, studio).status_code == 200  # read from the database, and kept again
    assert 0 < cached_seconds(key) <= SESSION_SECONDS
