"""Secure from the first commit: production settings pass Django's deployment checks, and
nothing insecure is defaulted when DEBUG is off."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k3J9x-production-like-secret-with-enough-entropy-7fQ2pL0vZ8sW4mN6bR1t",
    "ALLOWED_HOSTS": "studio.example.com",
    "DATABASE_URL": "sqlite:///:memory:",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # What the test run itself set (debug mode, the browser tests' async override) stays out.
    unwanted = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environment = {k: v for k, v in os.environ.items() if k not in unwanted}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_deploy_check_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_a_real_secret_key_is_required_when_debug_is_off():
    result = manage("check", **(PRODUCTION | {"SECRET_KEY": ""}))
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off." in result.stderr


@pytest.mark.django_db
def test_content_security_policy_forbids_inline_code_and_eval(client):
    header = client.get("/login/")["Content-Security-Policy"]
    assert "script-src 'self'" in header and "style-src 'self'" in header
    assert "unsafe-inline" not in header and "unsafe-eval" not in header


def test_htmx_posts_carry_the_csrf_token_and_fail_without_it(studio):
    client = Client(enforce_csrf_checks=True)
    client.force_login(studio.bob)
    page = client.get(reverse("storyboard_detail", args=[studio.storyboard.uuid])).text
    token = page.split('hx-headers=\'{"X-CSRFToken": "')[1].split('"')[0]
    url = reverse("shot_generate", args=[studio.shot.uuid])
    assert client.post(url, HTTP_HX_REQUEST="true").status_code == 403
    assert studio.shot.takes.count() == 0
    answer = client.post(url, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=token)
    assert answer.status_code == 200
    assert studio.shot.takes.count() == 1


def test_every_variable_the_settings_read_is_in_env_example():
    """.env.example is where an operator learns the variables: a new one goes there too."""
    root = Path(__file__).resolve().parent.parent
    # settings.py, and what it hands the environment to (the media storage's choice).
    settings_text = "".join(
        (root / "studio" / name).read_text() for name in ("settings.py", "storage_settings.py")
    )
    read = set(re.findall(r'(?:environ(?:\.get)?|env_\w+)\(\s*"([A-Z0-9_]+)"', settings_text))
    assert "STUDIO_S3_URL_SECONDS" in read
    listed = set(re.findall(r"^#? ?([A-Z0-9_]+)=", (root / ".env.example").read_text(), re.M))
    assert len(read) > 40  # the pattern still finds what the settings read
    assert sorted(read - listed) == []


def settings_values(*names: str, **env: str) -> list[str]:
    shown = ", ".join(f"s.{name}" for name in names)
    code = f"from django.conf import settings as s; print({shown})"
    result = manage("shell", "-c", code, **(PRODUCTION | env))
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].split()  # after the shell's "objects imported" line


def test_hsts_subdomains_and_preload_are_opt_in():
    names = ("SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD")
    assert settings_values(*names) == ["31536000", "False", "False"]
    opted = {"SECURE_HSTS_INCLUDE_SUBDOMAINS": "1", "SECURE_HSTS_PRELOAD": "1"}
    assert settings_values(*names, **opted) == ["31536000", "True", "True"]
    result = manage("check", "--deploy", "--fail-level", "WARNING", **(PRODUCTION | opted))
    assert result.returncode == 0, result.stderr


def test_an_unknown_media_serving_mode_refuses_to_start():
    result = manage("check", **(PRODUCTION | {"STUDIO_MEDIA_SERVING": "nginx"}))
    assert result.returncode != 0
    assert "studio.E001" in result.stderr and "STUDIO_MEDIA_SERVING is 'nginx'" in result.stderr


def test_the_cache_is_shared_in_redis_under_the_prefix_or_kept_per_process_without_one():
    from studio.cache_settings import cache_settings

    caches = cache_settings("redis://cache.internal:6379/2", "veo-studio")
    for alias in ("default", "sessions"):
        assert caches[alias]["LOCATION"] == "redis://cache.internal:6379/2"
        assert str(caches[alias]["KEY_PREFIX"]).startswith("veo-studio:")
    assert cache_settings("", "veo-studio")["default"]["BACKEND"].endswith("LocMemCache")


def test_sessions_use_the_shared_cache_or_the_database_alone():
    from studio.cache_settings import session_engine

    assert session_engine("redis://cache.internal:6379/2").endswith("cached_db")
    # A process's own memory would keep a session that another process logged out.
    assert session_engine("").endswith(".db")


def test_the_tests_cache_is_the_test_session_s_own_redis(settings):
    from django.core.cache import cache

    cache.set("probe", "1")
    location = settings.CACHES["default"]["LOCATION"]
    assert ":6379/" not in location
    with redis.Redis.from_url(location) as client:
        assert any(key.endswith(b":probe") for key in client.keys("*"))


def test_an_unknown_or_bucketless_storage_refuses_to_start():
    unknown = manage("check", **(PRODUCTION | {"STUDIO_STORAGE": "disk"}))
    assert unknown.returncode != 0
    assert "studio.E002" in unknown.stderr and "STUDIO_STORAGE is 'disk'" in unknown.stderr
    bucketless = manage("check", **(PRODUCTION | {"STUDIO_STORAGE": "s3"}))
    assert bucketless.returncode != 0
    assert "studio.E003" in bucketless.stderr


MINIO = {
    "STUDIO_STORAGE": "s3",
    "STUDIO_S3_BUCKET": "studio-media",
    "STUDIO_S3_ENDPOINT_URL": "http://minio:9000",
    "STUDIO_S3_PUBLIC_ENDPOINT_URL": "https://media.example.com",
}


def media_policy(**env: str) -> list[str]:
    code = (
        "from django.conf import settings as s; "
        "print(' '.join(s.SECURE_CSP['img-src'][2:] + ['|'] + s.SECURE_CSP['media-src'][1:]))"
    )
    result = manage("shell", "-c", code, **(PRODUCTION | env))
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-1].split()


def test_the_media_policy_allows_the_store_s_public_origin_only_when_media_is_there():
    assert media_policy() == ["|"]
    assert media_policy(**MINIO) == ["https://media.example.com", "|", "https://media.example.com"]
    aws = {
        "STUDIO_STORAGE": "s3",
        "STUDIO_S3_BUCKET": "acme-media",
        "STUDIO_S3_REGION": "eu-west-1",
    }
    origin = "https://acme-media.s3.eu-west-1.amazonaws.com"
    assert media_policy(**aws) == [origin, "|", origin]


def test_deploy_check_is_clean_with_media_in_s3():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **(PRODUCTION | MINIO))
    assert result.returncode == 0, result.stderr
