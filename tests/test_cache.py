"""The shared cache makes answers less shared, never broken: with its Redis down, the
storyboard page and its live poll are drawn afresh and answered."""

import logging
import socket
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils.timezone import now
from redis.exceptions import ResponseError

from studio.cache import SharedCache
from studio.cache_settings import cache_settings
from studio.projects.models import Shot
from tests.factories import make_shot, make_take

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    """The cache pointed at a port on which nothing listens (taken, then freed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Sessions too: read from the database while their cache is down.
    caches = cache_settings(f"redis://127.0.0.1:{port}/0", settings.STUDIO_REDIS_PREFIX)
    options = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    settings.CACHES = {alias: {**each, "OPTIONS": options} for alias, each in caches.items()}
    SharedCache.warned = False


def test_the_storyboard_page_is_drawn_without_redis(client, studio, redis_down):
    make_take(studio.shot)
    client.force_login(studio.vera)
    url = reverse("storyboard_detail", args=[studio.storyboard.uuid])
    for view in ("board", "list"):
        response = client.get(url, {"view": view})
        assert response.status_code == 200
        assert f'id="shot-{studio.shot.uuid}"' in response.text or view == "board"


def test_the_live_poll_is_answered_without_redis(client, studio, redis_down):
    client.force_login(studio.vera)
    url = reverse("storyboard_live", args=[studio.storyboard.uuid])
    first = client.get(url, {"since": ""}, HTTP_HX_REQUEST="true")
    assert first.status_code == 200
    token = first.text.split('data-token="')[1].split('"')[0]
    assert client.get(url, {"since": token}, HTTP_HX_REQUEST="true").status_code == 200


def test_an_unreachable_redis_is_a_miss_and_is_logged_once(redis_down, caplog):
    with caplog.at_level(logging.WARNING, logger="studio.cache"):
        assert cache.get("drawn", "missing") == "missing"
        assert cache.get_many(["a", "b"]) == {}
        assert cache.get_or_set("slow", lambda: 5, 3) == 5
        assert cache.add("marked", True) is True  # done as if there were no cache
        assert "drawn" not in cache
        cache.set("drawn", "x")
        cache.set_many({"a": 1})
        cache.delete("drawn")
    assert len(caplog.records) == 1


class Refusing:
    """A Redis client whose server answers every command with an error (maxmemory reached
    under noeviction; a replica's READONLY is the same kind of answer)."""

    def __getattr__(self, name):
        def refuse(*args, **kwargs):
            raise ResponseError("OOM command not allowed when used memory > 'maxmemory'.")

        return refuse


def test_a_refusing_redis_is_a_miss_and_is_logged_once(monkeypatch, caplog):
    refusing = SharedCache("redis://127.0.0.1:6399/0", {})
    monkeypatch.setattr(refusing._cache, "get_client", lambda *args, **kwargs: Refusing())
    monkeypatch.setattr(SharedCache, "refused", False)
    with caplog.at_level(logging.WARNING, logger="studio.cache"):
        refusing.set("drawn", "x")
        assert refusing.set_many({"a": 1}) == ["a"]
        assert refusing.add("marked", True) is True
        assert refusing.delete("drawn") is False
        assert refusing.get("drawn", "missing") == "missing"
        assert refusing.get_many(["a", "b"]) == {}
        assert "drawn" not in refusing
    assert len(caplog.records) == 1
    assert refusing.reachable()  # it answers: reads are still asked


def test_without_redis_a_poll_draws_what_changed_not_every_shot(
    client, studio, redis_down, time_machine
):
    # Every version is one the cache forgot: drawn from the token's time, for each request.
    other = make_shot(studio.storyboard, 2, video_model=studio.veo)
    time_machine.move_to(datetime.now(tz=UTC) + timedelta(minutes=1))  # the shots are older
    client.force_login(studio.vera)
    url = reverse("storyboard_live", args=[studio.storyboard.uuid])
    first = client.get(url, {"since": ""}, HTTP_HX_REQUEST="true")
    token = first.text.split('data-token="')[1].split('"')[0]
    Shot.objects.filter(pk=studio.shot.pk).update(prompt="A lake in the rain", updated_at=now())
    answer = client.get(url, {"since": token}, HTTP_HX_REQUEST="true").text
    assert answer.count("<template data-shot") == 1 and "A lake in the rain" in answer
    assert f'data-shot="{other.uuid}"' not in answer
