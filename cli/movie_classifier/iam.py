"""SigV4 signing for API Gateway's IAM authorization, and where signed requests may go.

A signed request carries the access key id, the session token and a signature that whoever
receives it can replay for minutes. So requests are signed only for these hosts, each compared
exactly with the URL's parsed host, never by a pattern over the raw URL:

- an API Gateway host, <api-id>.execute-api.<region>.amazonaws.com (.amazonaws.com.cn in China);
- the custom domain named by --iam-host;
- loopback (127.0.0.1, ::1, localhost): the tests and `sam local start-api`.

They go over https, except to loopback, and a redirect is never followed (http_api).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import requests

from genre_model.aws_errors import NO_CREDENTIALS
from movie_classifier.aws import NO_REGION, boto3_session
from movie_classifier.endpoint import Endpoint, parse_endpoint
from movie_classifier.errors import AwsProblem, UsageProblem

API_HOST = re.compile(
    r"[a-z0-9]+\.execute-api\.([a-z]{2}(?:-[a-z]+)+-[0-9]+)\.amazonaws\.com(?:\.cn)?"
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# A DNS name of two labels or more, the last starting with a letter: no IP address, port,
# scheme, path or trailing dot.
DNS_NAME = re.compile(
    r"(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?"
)


def api_region(host: str) -> str | None:
    """The region of an API Gateway host, or None when host is not exactly one."""
    match = API_HOST.fullmatch(host)
    return match.group(1) if match else None


def execute_api_region(url: str) -> str | None:
    """The region in an API Gateway URL, or None when the URL's host is not one."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return api_region(host or "")


def custom_domain(value: str) -> str:
    """--iam-host's value, as the parsed host of a URL gives it (lower case)."""
    host = value.lower()
    if not DNS_NAME.fullmatch(host):
        raise UsageProblem(
            f"--iam-host {value!r} is not a host name like api.example.com "
            "(no scheme, port, path or trailing dot)"
        )
    return host


def check_signable(endpoint: Endpoint, iam_host: str | None = None) -> None:
    """Refuse, as a usage error, an endpoint that signed requests must not go to."""
    if endpoint.host in LOOPBACK_HOSTS:
        return
    if endpoint.host != iam_host and api_region(endpoint.host) is None:
        raise UsageProblem(
            f"--iam will not sign for the host {endpoint.host!r}: only for "
            "<api-id>.execute-api.<region>.amazonaws.com, the custom domain named by "
            "--iam-host, or loopback"
        )
    if endpoint.scheme != "https":
        raise UsageProblem(
            f"--iam will not sign for {endpoint.url}: signed requests need https "
            "(plain http only to loopback)"
        )


class SigV4(requests.auth.AuthBase):
    """Signs each request for API Gateway's IAM authorization, with botocore's own signer."""

    def __init__(self, credentials: Any, region: str, iam_host: str | None = None) -> None:
        self.credentials = credentials
        self.region = region
        self.iam_host = iam_host

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        # Checked again for each request, whatever URL it was built from.
        check_signable(parse_endpoint(str(request.url), "request URL"), self.iam_host)
        signed = AWSRequest(
            method=request.method,
            url=request.url,
            data=request.body,
            headers={"content-type": request.headers.get("content-type", "application/json")},
        )
        # Frozen per request: refreshable credentials (SSO, assumed roles) stay current.
        frozen = self.credentials.get_frozen_credentials()
        SigV4Auth(frozen, "execute-api", self.region).add_auth(signed)
        request.headers.update(dict(signed.headers))
        return request


def aws_signer(
    endpoint: Endpoint,
    *,
    region: str | None,
    profile: str | None,
    required: bool,
    iam_host: str | None = None,
) -> SigV4 | None:
    """A signer for endpoint, or None when signing is not wanted or not possible.

    An endpoint that must not get signed requests is refused first, before credentials are
    looked up. required (--iam): missing boto3, credentials or region is an error. Otherwise
    signing is best effort: without credentials the requests go unsigned (an AuthMode=NONE API).
    """
    check_signable(endpoint, iam_host)
    try:
        credentials, session_region = _credentials(region, profile)
    except AwsProblem:
        if required:
            raise
        return None
    signing_region = region or api_region(endpoint.host) or session_region
    if not signing_region:
        if required:
            raise AwsProblem(f"--iam: {NO_REGION}")
        return None
    return SigV4(credentials, signing_region, iam_host)


def _credentials(region: str | None, profile: str | None) -> tuple[Any, str | None]:
    """boto3's credentials and region for --iam, or the AwsProblem that says why there are none."""
    session = boto3_session("--iam", region=region, profile=profile)
    from botocore.exceptions import BotoCoreError

    try:
        credentials = session.get_credentials()
    except BotoCoreError as error:
        raise AwsProblem(f"--iam: {error}") from error
    if credentials is None:
        raise AwsProblem(f"--iam: {NO_CREDENTIALS}")
    return credentials, session.region_name
