"""docker-compose.yml and deploy/ agree with the studio: the services are there, web runs
gunicorn with gunicorn.conf.py and hands media to nginx, nginx's internal location is the
studio's accel prefix, and the studio reaches MinIO as a user limited to its bucket, never as
root. nginx itself (Debian's, which .ci/run installs) checks the file and serves a stand-in
studio's X-Accel-Redirect with it."""

import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import httpx
import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
NGINX_CONF = (ROOT / "deploy" / "nginx.conf").read_text()
MINIO_POLICY = json.loads((ROOT / "deploy" / "minio-studio-policy.json").read_text())
SERVICES = COMPOSE["services"]
STUDIO_PROCESSES = ["migrate", "web", "worker", "exports", "beat"]
ROOT_USER = os.geteuid() == 0


@pytest.fixture
def nginx() -> str:
    found = shutil.which("nginx", path="/usr/sbin:/usr/bin")
    if found is None:
        pytest.fail("The proxy's tests need nginx: apt-get install -y nginx-light")
    return found


def runnable(conf: str, tmp_path: Path) -> str:
    """The config, runnable by anyone from `tmp_path`: the temp directories nginx would make
    where it was built to (root's) are the test's own."""
    temp = "".join(
        f"    {kind}_temp_path {tmp_path}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return conf.replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;").replace(
        "http {\n", "http {\n" + temp, 1
    )


def test_compose_has_the_stack():
    expected = {"migrate", "web", "nginx", "worker", "exports", "beat", "redis", "postgres"}
    assert set(SERVICES) == expected | {"minio", "minio-bucket"}


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


@pytest.mark.parametrize("name", STUDIO_PROCESSES)
def test_every_studio_process_keeps_media_in_minio_s_bucket_once_it_is_made(name):
    service = SERVICES[name]
    env = service["environment"]
    assert env["STUDIO_STORAGE"] == "${STUDIO_STORAGE:-s3}"
    assert env["STUDIO_S3_ENDPOINT_URL"] == "http://minio:9000"
    assert env["STUDIO_S3_BUCKET"] == "studio-media"
    assert env["STUDIO_S3_PUBLIC_ENDPOINT_URL"].endswith(":-http://localhost:9000}")
    assert env["STUDIO_S3_SECRET_ACCESS_KEY"].startswith("${STUDIO_S3_SECRET_ACCESS_KEY:?")
    if name != "migrate":  # which makes the database, not media
        bucket = service["depends_on"]["minio-bucket"]
        assert bucket["condition"] == "service_completed_successfully"


def interpolated(value: str) -> set[str]:
    """The .env variables a compose value is built from."""
    return set(re.findall(r"\$\{([A-Z0-9_]+)", value))


@pytest.mark.parametrize("name", STUDIO_PROCESSES)
def test_no_studio_process_holds_minio_s_root_key(name):
    env = SERVICES[name]["environment"]
    root = SERVICES["minio"]["environment"]
    studio_key = interpolated(env["STUDIO_S3_ACCESS_KEY_ID"] + env["STUDIO_S3_SECRET_ACCESS_KEY"])
    root_key = interpolated(root["MINIO_ROOT_USER"] + root["MINIO_ROOT_PASSWORD"])
    assert studio_key == {"STUDIO_S3_ACCESS_KEY_ID", "STUDIO_S3_SECRET_ACCESS_KEY"}
    assert root_key == {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"}
    # env_file hands every process all of .env, the root's key included: blanked over it.
    assert SERVICES[name]["env_file"] == ".env"
    assert env["MINIO_ROOT_USER"] == "" and env["MINIO_ROOT_PASSWORD"] == ""
    assert not any(interpolated(str(value)) & root_key for value in env.values())


def test_only_minio_and_the_bucket_maker_are_given_the_root_key():
    holders = {
        name
        for name, service in SERVICES.items()
        if any(
            interpolated(str(value)) & {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"}
            for value in service.get("environment", {}).values()
        )
    }
    assert holders == {"minio", "minio-bucket"}
    # Required: compose refuses to start without them, rather than run MinIO with a default.
    root = SERVICES["minio"]["environment"]
    assert root["MINIO_ROOT_USER"].startswith("${MINIO_ROOT_USER:?")
    assert root["MINIO_ROOT_PASSWORD"].startswith("${MINIO_ROOT_PASSWORD:?")


def test_the_bucket_maker_gives_the_studio_a_user_of_its_own_under_the_policy():
    bucket = SERVICES["minio-bucket"]
    env, studio_env = bucket["environment"], SERVICES["web"]["environment"]
    assert env["MC_HOST_store"].startswith("http://${MINIO_ROOT_USER:?")
    assert env["STUDIO_KEY"] == studio_env["STUDIO_S3_ACCESS_KEY_ID"]
    assert env["STUDIO_SECRET"] == studio_env["STUDIO_S3_SECRET_ACCESS_KEY"]
    assert env["BUCKET"] == studio_env["STUDIO_S3_BUCKET"]
    assert "./deploy/minio-studio-policy.json:/policy.json:ro" in bucket["volumes"]
    assert bucket["entrypoint"][:2] == ["sh", "-c"]
    steps = [step.strip() for step in bucket["entrypoint"][2].split("&&")]
    assert steps == [
        # Made if missing (a restart is harmless), and private: no anonymous access.
        "mc mb --ignore-existing store/$$BUCKET",
        "mc anonymous set none store/$$BUCKET",
        "mc admin policy create store studio /policy.json",
        'mc admin user add store "$$STUDIO_KEY" "$$STUDIO_SECRET"',
        'mc admin policy attach store studio --user "$$STUDIO_KEY"',
    ]


def test_the_studio_s_policy_grants_object_reads_and_writes_on_its_bucket_only():
    bucket = SERVICES["web"]["environment"]["STUDIO_S3_BUCKET"]
    granted = {}
    for statement in MINIO_POLICY["Statement"]:
        assert statement["Effect"] == "Allow" and set(statement) == {
            "Effect",
            "Action",
            "Resource",
        }
        for resource in statement["Resource"]:
            granted.setdefault(resource, set()).update(statement["Action"])
    assert granted == {
        f"arn:aws:s3:::{bucket}": {"s3:ListBucket"},
        f"arn:aws:s3:::{bucket}/*": {
            "s3:GetObject",  # HeadObject too
            "s3:PutObject",  # multipart uploads' parts too
            "s3:DeleteObject",
            "s3:AbortMultipartUpload",  # boto3 gives up a failed multipart upload
        },
    }


def test_minio_keeps_its_data_on_a_volume_and_is_checked_before_the_bucket_is_made():
    minio, bucket = SERVICES["minio"], SERVICES["minio-bucket"]
    assert minio["command"] == ["server", "/data"]
    assert "minio:/data" in minio["volumes"] and "minio" in COMPOSE["volumes"]
    assert minio["healthcheck"]["test"] == ["CMD", "mc", "ready", "local"]
    assert bucket["restart"] == "no"
    assert bucket["depends_on"]["minio"]["condition"] == "service_healthy"


def test_minio_is_published_on_this_host_only_unless_told():
    # Browsers fetch signed URLs from it; in production through TLS in front of it.
    assert SERVICES["minio"]["ports"] == ["${MINIO_BIND:-127.0.0.1}:${MINIO_PORT:-9000}:9000"]


@pytest.mark.parametrize("name", ["minio", "minio-bucket"])
def test_minio_images_are_pinned_releases_from_quay(name):
    # Docker Hub no longer serves minio/minio nor minio/mc; quay.io keeps the releases.
    image = SERVICES[name]["image"]
    repository = {"minio": "quay.io/minio/minio", "minio-bucket": "quay.io/minio/mc"}[name]
    assert re.fullmatch(re.escape(repository) + r":RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ", image)


def test_the_variables_compose_reads_are_in_env_example():
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", (ROOT / "docker-compose.yml").read_text()))
    listed = set(re.findall(r"^#? ?([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert sorted(used - listed) == []


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


def test_nginx_accepts_the_config(nginx, tmp_path):
    # The upstream's name resolves only inside compose; the rest is checked as written.
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        runnable(NGINX_CONF.replace("server web:8000;", "server 127.0.0.1:8000;"), tmp_path)
    )
    result = subprocess.run(
        [nginx, "-e", "stderr", "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_nginx_serves_an_accel_redirect_with_range_and_hides_the_location(nginx, tmp_path):
    """The config as written, with a stand-in for the studio that answers as studio.ranges does
    in x-accel mode: nginx sends the named file's requested bytes, keeps the studio's headers,
    and a browser cannot ask the internal location for a file itself."""
    media = tmp_path / "media" / "exports"
    media.mkdir(parents=True)
    (media / "café cut.mp4").write_bytes(b"0123456789")
    accel = "/protected-media/exports/caf%C3%A9%20cut.mp4"

    class Studio(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            for name, value in [
                ("Content-Type", "video/mp4"),
                ("Cache-Control", "private"),
                ("Content-Disposition", 'attachment; filename="cut.mp4"'),
                ("X-Accel-Redirect", accel),
                ("Content-Length", "0"),
            ]:
                self.send_header(name, value)
            self.end_headers()

        def log_message(self, *args):
            pass

    upstream = HTTPServer(("127.0.0.1", 0), Studio)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    port = free_port()
    conf = tmp_path / "nginx.conf"
    # As root, nginx's workers would drop to nobody, who cannot enter pytest's private tmp.
    workers = "worker_processes 1;" + ("\nuser root;" if ROOT_USER else "")
    conf.write_text(
        runnable(
            NGINX_CONF.replace("server web:8000;", f"server 127.0.0.1:{upstream.server_port};")
            .replace("listen 80;", f"listen 127.0.0.1:{port};")
            .replace("alias /app/var/media/;", f"alias {tmp_path}/media/;")
            .replace("worker_processes auto;", workers),
            tmp_path,
        )
    )
    server = subprocess.Popen(
        [nginx, "-e", "stderr", "-c", str(conf), "-g", "daemon off;"], stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        browser = httpx.Client(trust_env=False)  # straight to 127.0.0.1, never a proxy
        part = browser.get(base + "/exports/download", headers={"Range": "bytes=2-4"})
        assert part.status_code == 206 and part.content == b"234"
        assert part.headers["Content-Range"] == "bytes 2-4/10"
        assert part.headers["Content-Type"] == "video/mp4"
        assert part.headers["Cache-Control"] == "private"
        assert part.headers["Content-Disposition"] == 'attachment; filename="cut.mp4"'
        assert browser.get(base + accel).status_code == 404
    finally:
        server.terminate()
        server.wait(timeout=10)
        upstream.shutdown()
