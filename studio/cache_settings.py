"""The shared cache and where sessions are read from, for settings.py (no Django here: the
settings import it).

The cache: what many members ask for at once (a storyboard drawn at one version) is drawn once
and shared by every web process through Redis. Most keys carry what their answer shows, so
nothing is forgotten by hand; what is (the pauses, generation/pauses.py) is also kept only
seconds. A process that keeps its own cache (without a Redis: the embedded broker of `make
run`) is only less shared, never stale but for those seconds. Keys carry STUDIO_REDIS_PREFIX.

Sessions: every request reads one, and a storyboard's live poll comes every 3 s from each
member, so they are read from the shared cache and written through to the database (Django's
cached_db), the cached copy kept at most a minute (studio.cache.SessionCache). Without a
Redis, from the database alone: a process's own memory would keep a session that another
process logged out."""

CACHED_SESSIONS = "django.contrib.sessions.backends.cached_db"
DATABASE_SESSIONS = "django.contrib.sessions.backends.db"


def cache_settings(redis_url: str, prefix: str) -> dict[str, dict[str, object]]:
    if not redis_url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    shared = {
        "BACKEND": "studio.cache.SharedCache",  # Redis down: a miss, not a 500
        "LOCATION": redis_url,
        "KEY_PREFIX": f"{prefix}:cache",
        "TIMEOUT": 600,
    }
    return {"default": shared, "sessions": {**shared, "BACKEND": "studio.cache.SessionCache"}}


def session_engine(redis_url: str) -> str:
    return CACHED_SESSIONS if redis_url else DATABASE_SESSIONS
