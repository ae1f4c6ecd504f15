"""docker-compose.yml and deploy/nginx.conf agree with the studio: the services are there, web
runs gunicorn with gunicorn.conf.py and hands media to nginx, and nginx's internal location is
the studio's accel prefix. nginx itself checks the file when it is installed."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
NGINX_CONF = (ROOT / "deploy" / "nginx.conf").read_text()
SERVICES = COMPOSE["services"]


def test_compose_has_the_stack():
    expected = {"migrate", "web", "nginx", "worker", "exports", "beat", "redis", "postgres"}
    assert set(SERVICES) == expected


def test_web_runs_gunicorn_with_its_config_and_hands_media_to_nginx():
    web = SERVICES["web"]
    assert web["command"] == ["gunicorn", "-c", "gunicorn.conf.py", "studio.wsgi:application"]
    assert web["environment"]["STUDIO_MEDIA_SERVING"] == "x-accel"
    assert web["environment"]["MEDIA_ROOT"] == "/app/var/media"  # the merged shared settings
    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    assert "ports" not in web  # reached through nginx only


def test_nginx_mounts_its_config_and_the_media_read_only():
    nginx = SERVICES["nginx"]
    assert nginx["image"] == "nginx:1.27-alpine"
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    assert "media:/app/var/media:ro" in nginx["volumes"]
    assert nginx["depends_on"]["web"]["condition"] == "service_healthy"


def test_the_internal_location_is_the_studios_accel_prefix_aliased_to_media():
    locations = re.findall(r"location (\S+) \{([^}]*)\}", NGINX_CONF)
    [(prefix, body)] = [
        (p, body) for p, body in locations if re.search(r"^\s*internal;", body, re.M)
    ]
    assert prefix == settings.STUDIO_MEDIA_ACCEL_PREFIX
    assert "alias /app/var/media/;" in body


def test_the_upload_limit_fits_the_largest_upload():
    from studio.playlists.models import MUSIC_MAX_BYTES

    megabytes = int(re.search(r"client_max_body_size (\d+)m;", NGINX_CONF)[1])
    assert megabytes * 1024 * 1024 > MUSIC_MAX_BYTES


@pytest.mark.skipif(not shutil.which("nginx", path="/usr/sbin:/usr/bin"), reason="no nginx here")
def test_nginx_accepts_the_config(tmp_path):
    # The upstream's name resolves only inside compose; the rest is checked as written.
    conf = tmp_path / "nginx.conf"
    conf.write_text(NGINX_CONF.replace("server web:8000;", "server 127.0.0.1:8000;"))
    nginx = shutil.which("nginx", path="/usr/sbin:/usr/bin")
    result = subprocess.run(
        [nginx, "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
