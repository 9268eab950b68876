"""Where model versions live on S3; light, so that the command line builds one without boto3.

Layout under s3://<bucket>/<prefix>/ (docs/models.md):
    <version>/model.tar.gz    the archive, with its sha256 in the object's metadata
    <version>/golden.json     its golden set, for the deployment's pre-traffic check
    <version>/manifest.json   a copy of the archive's manifest, written once the archive is verified
    latest.json               {"version", "archive_key", "sha256", ...}, moved last
A version's keys are written once (If-None-Match: *); latest.json is the one key that moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LATEST_NAME = "latest.json"
DEFAULT_PREFIX = "movie-genre"


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str = DEFAULT_PREFIX
    region: str | None = None
    endpoint_url: str | None = None

    def key(self, *parts: str) -> str:
        return "/".join(part.strip("/") for part in (self.prefix, *parts) if part.strip("/"))

    def url(self, *parts: str) -> str:
        return f"s3://{self.bucket}/{self.key(*parts)}"

    def client(self) -> Any:
        import boto3

        # endpoint_url None lets boto3 apply AWS_ENDPOINT_URL and its usual configuration chain.
        return boto3.client("s3", region_name=self.region, endpoint_url=self.endpoint_url)
