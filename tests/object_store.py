"""A real S3 API for the tests: moto's server on a free port, one per test process, and a fresh
private bucket per test with the studio's settings pointing at it (STUDIO_STORAGE = "s3").

moto serves the S3 API but does not check the signature of a presigned URL (it only refuses a
request that carries none for a private object). A store that accepted any `X-Amz-Signature`
would let a test pass with a tampered URL, so the server here checks it as S3 does (SigV4,
query-string form) before moto sees the request."""

import hashlib
import hmac
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest
from moto.server import ThreadedMotoServer
from werkzeug.serving import make_server

from devtools.object_store import ACCESS_KEY, REGION, SECRET_KEY, s3_client
from devtools.processes import free_port
from studio.storage_settings import s3_storage_settings


@dataclass
class ObjectStore:
    bucket: str
    endpoint_url: str
    # The environment a worker process needs to store into this bucket (add to worker_environment).
    env: dict[str, str]
    client: Any  # boto3's S3 client, signed with the studio's key

    def keys(self) -> list[str]:
        listing = self.client.list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def read(self, key: str) -> bytes:
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The endpoint URL of this test process's S3 server."""
    server = _SigningMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_storage(settings, s3_server) -> ObjectStore:
    """A new empty bucket, and the studio's default storage in it for this test."""
    bucket = f"studio-test-{uuid.uuid4().hex[:16]}"
    client = s3_client(s3_server)
    client.create_bucket(Bucket=bucket)
    env = {
        "STUDIO_STORAGE": "s3",
        "STUDIO_S3_BUCKET": bucket,
        "STUDIO_S3_ENDPOINT_URL": s3_server,
        "STUDIO_S3_REGION": REGION,
        "STUDIO_S3_ACCESS_KEY_ID": ACCESS_KEY,
        "STUDIO_S3_SECRET_ACCESS_KEY": SECRET_KEY,
    }
    settings.STUDIO_STORAGE = "s3"
    # A new STORAGES makes Django drop its cached storages, default_storage included
    # (django.test.signals.storages_changed), so every FileField stores here from now on.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage_settings(
            bucket=bucket,
            endpoint_url=s3_server,
            region=REGION,
            access_key=ACCESS_KEY,
            secret_key=SECRET_KEY,
        ),
    }
    return ObjectStore(bucket=bucket, endpoint_url=s3_server, env=env, client=client)


class _SigningMotoServer(ThreadedMotoServer):
    """moto's threaded server with the signature check in front of its application."""

    def _server_entry(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        class QuietHandler(MotoRequestHandler):
            """No line per request on stderr: a test's failure report shows what matters."""

            def log_request(self, *args, **kwargs) -> None:
                pass

        app = _RefuseBadSignatures(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(
            self._ip_address, self._port, app, True, request_handler=QuietHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever()


class _RefuseBadSignatures:
    """403 for a request with no credentials at all, or a presigned URL whose signature is not
    the one our key makes for its method, host, path and every other parameter. (Expiry is not
    checked: that would make the tests depend on the clock.) Header-signed calls from boto3 pass."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        signed = any(name == "X-Amz-Signature" for name, _ in query)
        if signed and _query_signature_is_valid(environ, query):
            return self.app(environ, start_response)
        if not signed and environ.get("HTTP_AUTHORIZATION"):
            return self.app(environ, start_response)
        start_response("403 Forbidden", [("Content-Type", "application/xml")])
        return [b"<Error><Code>AccessDenied</Code></Error>"]


def _query_signature_is_valid(environ, query: list[tuple[str, str]]) -> bool:
    params = dict(query)
    given = params.pop("X-Amz-Signature")
    scope = params.get("X-Amz-Credential", "").partition("/")[2]
    day, region, service, _ = [*scope.split("/"), "", "", "", ""][:4]
    canonical_query = "&".join(
        f"{quote(name, safe='-_.~')}={quote(value, safe='-_.~')}"
        for name, value in sorted(params.items())
    )
    canonical_request = "\n".join(
        [
            environ["REQUEST_METHOD"],
            # WSGI hands the path over as latin-1 text; its bytes are UTF-8.
            quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/-_.~"),
            canonical_query,
            f"host:{environ.get('HTTP_HOST', '')}\n",
            "host",
            "UNSIGNED-PAYLOAD",
        ]
    )
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            params.get("X-Amz-Date", ""),
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = f"AWS4{SECRET_KEY}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)
