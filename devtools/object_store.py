"""How the tests and the benches reach their S3-compatible server (moto's): one made-up key
(moto takes any), path-style addressing (buckets under the path, as moto and MinIO serve them
on a bare host and port) and SigV4, as the studio signs."""

import boto3
from botocore.config import Config

REGION = "us-east-1"
ACCESS_KEY = "AKIASTUDIOTESTS00001"
SECRET_KEY = "studio-tests-secret-key"  # noqa: S105 -- moto's, never a real store's


def s3_client(endpoint_url: str, *, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY):
    return client("s3", endpoint_url, access_key=access_key, secret_key=secret_key)


def client(
    service: str, endpoint_url: str, *, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY
):
    """A client of one of the server's services (s3; iam, where moto checks policies), as the
    key given; the made-up key is moto's root."""
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
