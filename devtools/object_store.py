"""How the tests and the benches reach their S3-compatible server (moto's): one made-up key
(moto takes any), path-style addressing (buckets under the path, as moto and MinIO serve them
on a bare host and port) and SigV4, as the studio signs."""

import boto3
from botocore.config import Config

REGION = "us-east-1"
ACCESS_KEY = "AKIASTUDIOTESTS00001"
SECRET_KEY = "studio-tests-secret-key"  # noqa: S105 -- moto's, never a real store's


def s3_client(endpoint_url: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
