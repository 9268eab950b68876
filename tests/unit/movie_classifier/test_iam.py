"""SigV4 signing for IAM-protected APIs: --iam, --stack, execute-api URLs, and the 403 message."""

from __future__ import annotations

import json
import re

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from click.testing import CliRunner

from movie_classifier.client import HttpClassifier, Movie, Refused, SigV4, execute_api_region
from movie_classifier.main import main
from tests.helpers.fake_api import Answer, fake_api

OTHELLO = ["--title", "Othello", "--description", "The evil Iago pretends to be a friend."]
KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
FORBIDDEN = Answer(403, {"message": "Forbidden"})


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def assert_validly_signed(seen: dict[str, str], url: str, region: str) -> None:
    """Recompute the signature with botocore from what the server received."""
    authorization = seen["Authorization"]
    match = re.fullmatch(
        r"AWS4-HMAC-SHA256 Credential=(\S+?)/(\d{8})/([a-z0-9-]+)/execute-api/aws4_request, "
        r"SignedHeaders=(\S+), Signature=([0-9a-f]{64})",
        authorization,
    )
    assert match, authorization
    assert match.group(1) == KEY and match.group(3) == region
    signed_headers = match.group(4).split(";")
    request = AWSRequest(
        method="POST",
        url=url,
        data=seen[":body"].encode(),
        headers={name: seen[next(k for k in seen if k.lower() == name)] for name in signed_headers},
    )
    request.context["timestamp"] = seen["X-Amz-Date"]
    signer = SigV4Auth(Credentials(KEY, SECRET), "execute-api", region)
    canonical = signer.canonical_request(request)
    assert signer.signature(signer.string_to_sign(request, canonical), request) == match.group(5)


@pytest.mark.parametrize(
    ("url", "region"),
    [
        ("https://abc123.execute-api.eu-west-1.amazonaws.com/", "eu-west-1"),
        ("https://abc123.execute-api.cn-north-1.amazonaws.com.cn/prod", "cn-north-1"),
        ("http://127.0.0.1:3000", None),
        ("https://example.org/abc.execute-api.us-east-1.amazonaws.com", None),
    ],
)
def test_the_region_is_read_from_an_api_gateway_url(url: str, region: str | None) -> None:
    assert execute_api_region(url) == region


def test_iam_signs_every_request_with_sigv4(aws_credentials: None) -> None:
    seen: list[dict[str, str]] = []
    with fake_api([Answer()], seen) as (url, _):
        result = CliRunner().invoke(
            main, [*OTHELLO, "--endpoint", url, "--iam", "--region", "eu-west-1"]
        )
    assert result.exit_code == 0, result.output
    (headers,) = seen
    assert_validly_signed(headers, f"{url}/genres", "eu-west-1")


def test_without_iam_a_plain_url_is_not_signed(aws_credentials: None) -> None:
    seen: list[dict[str, str]] = []
    with fake_api([Answer()], seen) as (url, _):
        assert CliRunner().invoke(main, [*OTHELLO, "--endpoint", url]).exit_code == 0
    assert "Authorization" not in seen[0]


def test_a_403_from_an_iam_protected_api_says_to_sign(no_aws_credentials: None) -> None:
    with fake_api([FORBIDDEN]) as (url, _):
        result = CliRunner().invoke(main, [*OTHELLO, "--endpoint", url])
    assert result.exit_code == 6
    (line,) = result.output.strip().splitlines()
    assert (
        "HTTP 403 Forbidden): the API requires IAM authorization; sign the requests with --iam"
        in line
    )


def test_a_403_to_a_signed_request_says_the_credentials_lack_access() -> None:
    signer = SigV4(Credentials(KEY, SECRET), "us-east-1")
    with fake_api([FORBIDDEN]) as (url, _), pytest.raises(Refused, match="execute-api:Invoke"):
        HttpClassifier(url, signer=signer).classify([Movie("Othello", "Iago lies.")])


def test_iam_without_credentials_is_one_line_and_exit_9(no_aws_credentials: None) -> None:
    result = CliRunner().invoke(main, [*OTHELLO, "--endpoint", "http://127.0.0.1:9", "--iam"])
    assert result.exit_code == 9
    assert result.output.strip() == (
        "Error: --iam: no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY)"
    )


def test_iam_without_a_region_is_one_line_and_exit_9(aws_credentials: None) -> None:
    result = CliRunner().invoke(main, [*OTHELLO, "--endpoint", "http://127.0.0.1:9", "--iam"])
    assert result.exit_code == 9
    assert "no AWS region (give --region, or set AWS_REGION)" in result.output


def test_iam_needs_an_api(aws_credentials: None) -> None:
    result = CliRunner().invoke(main, [*OTHELLO, "--iam"])
    assert result.exit_code == 2
    assert "--iam signs requests to an API" in result.output


def test_an_execute_api_url_is_signed_by_default_when_credentials_exist(
    aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The URL's host decides the region; the request goes to a local stand-in."""
    seen: list[dict[str, str]] = []
    with fake_api([Answer()], seen) as (local, _):
        api = "https://abc123.execute-api.ap-south-1.amazonaws.com"
        real_init = HttpClassifier.__init__

        def to_local(self: HttpClassifier, endpoint: str, **kwargs: object) -> None:
            real_init(self, local, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(HttpClassifier, "__init__", to_local)
        result = CliRunner().invoke(main, [*OTHELLO, "--endpoint", api, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["genre"] == "Drama"
    assert "/ap-south-1/execute-api/aws4_request" in seen[0]["Authorization"]
