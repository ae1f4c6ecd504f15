"""The shared cache's backend: Django's Redis cache, for which an unreachable Redis is an empty
one. A cache only makes answers less shared, never broken: while Redis is down or slow every
read is a miss and every write is dropped, so the pages are drawn afresh rather than answered
with a 500. So is a write (or read) that Redis refuses: out of memory under maxmemory
noeviction, READONLY from a replica after a failover."""

import logging
import time
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError)
# Without a timeout, a Redis that does not answer (a host gone, a full network buffer) holds
# every request until the system gives up, minutes later. Redis answers in a millisecond and
# the largest value (a 300-shot list) is a few MB, well within these.
SOCKET_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 2}
# Once Redis failed, it is left alone this long: a page asks the cache several times, and each
# failed ask costs its retries (tens of ms refused, seconds unanswered).
RESTING_SECONDS = 5


class SharedCache(RedisCache):
    warned = False  # per process: every request would otherwise log it, several times
    refused = False  # the same, for an error Redis answered with

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = params.get("OPTIONS", {})
        super().__init__(server, {**params, "OPTIONS": {**SOCKET_OPTIONS, **options}})
        self.resting_until = 0.0

    def reachable(self) -> bool:
        return time.monotonic() >= self.resting_until

    def failed(self, error: RedisError) -> None:
        if isinstance(error, UNREACHABLE):
            self.unreachable(error)
        elif not SharedCache.refused:
            # It answers: no rest (reads may still work; a refused write is dropped).
            SharedCache.refused = True
            log.warning("The cache's Redis refused a command; it is dropped: %s", error)

    def unreachable(self, error: Exception) -> None:
        self.resting_until = time.monotonic() + RESTING_SECONDS
        if not SharedCache.warned:
            SharedCache.warned = True
            log.warning("The cache's Redis is unreachable; answers are drawn afresh: %s", error)

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        if self.reachable():
            try:
                return super().get(key, default, version)
            except RedisError as error:
                self.failed(error)
        return default

    def has_key(self, key: Any, version: int | None = None) -> bool:
        # Asked by cached_db sessions (`in`) before they ask the database.
        if self.reachable():
            try:
                return super().has_key(key, version)
            except RedisError as error:
                self.failed(error)
        return False

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        if self.reachable():
            try:
                return super().get_many(keys, version)
            except RedisError as error:
                self.failed(error)
        return {}

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        """Added, as far as the caller knows: what a caller adds to do once (mark a member
        present) it then does each time, as it would with no cache at all."""
        if self.reachable():
            try:
                return super().add(key, value, timeout, version)
            except RedisError as error:
                self.failed(error)
        return True

    # get_or_set is Django's, made of get and add: a miss, then the default.

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        if self.reachable():
            try:
                super().set(key, value, timeout, version)
            except RedisError as error:
                self.failed(error)

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        if self.reachable():
            try:
                return super().set_many(data, timeout, version)
            except RedisError as error:
                self.failed(error)
        return list(data)

    def delete(self, key: Any, version: int | None = None) -> bool:
        if self.reachable():
            try:
                return super().delete(key, version)
            except RedisError as error:
                self.failed(error)
        return False


# A session's copy in the cache is kept at most this long (cached_db would keep it for the
# session's whole age): a logout whose delete the cache dropped (Redis unreachable for that
# moment), or a change to the session whose write Redis refused, is undone for no longer than
# this. A member polling every 3 s reads the database once in twenty polls.
SESSION_SECONDS = 60


class SessionCache(SharedCache):
    """The sessions' alias of the shared cache (settings.SESSION_CACHE_ALIAS)."""

    def get_backend_timeout(self, timeout: Any = DEFAULT_TIMEOUT) -> float | None:
        seconds = super().get_backend_timeout(timeout)
        return SESSION_SECONDS if seconds is None else min(seconds, SESSION_SECONDS)
