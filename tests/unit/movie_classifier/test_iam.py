"""SigV4 signing for IAM-protected APIs: --iam, --stack, execute-api URLs, the 403 message, and
the hosts that signed requests may go to."""

from __future__ import annotations

import json
import re
import sys

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from click.testing import CliRunner

from movie_classifier.classifier import Movie
from movie_classifier.endpoint import parse_endpoint
from movie_classifier.errors import Refused, ServerFailed, UsageProblem
from movie_classifier.http_api import HttpClassifier
from movie_classifier.iam import SigV4, check_signable, execute_api_region
from movie_classifier.main import main
from tests.helpers.fake_api import Answer, fake_api
from tests.unit.movie_classifier.conftest import KEY, SECRET

OTHELLO = ["--title", "Othello", "--description", "The evil Iago pretends to be a friend."]
FORBIDDEN = Answer(403, {"message": "Forbidden"})
API = "https://abc123.execute-api.us-east-1.amazonaws.com"


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
        ("https://abc123.execute-api.us-east-1.amazonaws.com./", None),
        ("https://2130706433?.execute-api.us-east-1.amazonaws.com", None),
        ("https://abc123.execute-api.us-east-1.amazonaws.com@example.org", None),
        ("https://abc123.execute-api.us-east-1.amazonaws.com.example.org", None),
        ("https://ABC123.Execute-API.eu-west-1.amazonaws.com", "eu-west-1"),
        ("https://[::1", None),
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


LOOK_ALIKES = [
    # resolves to 127.0.0.1; the rest of the "host" is a query
    "https://2130706433?.execute-api.us-east-1.amazonaws.com",
    "https://2130706433#.execute-api.us-east-1.amazonaws.com",
    # user info: the host is what follows the @
    "https://abc123.execute-api.us-east-1.amazonaws.com@evil.example",
    "https://abc123.execute-api.us-east-1.amazonaws.com:443@evil.example/",
    "https://evil.example\\@abc123.execute-api.us-east-1.amazonaws.com",
    # a host of another domain, or the API's name elsewhere in the URL
    "https://abc123.execute-api.us-east-1.amazonaws.com.evil.example",
    "https://evil.example/abc123.execute-api.us-east-1.amazonaws.com",
    "https://abc123-execute-api.us-east-1.amazonaws.com",
    "https://abc123.execute-api.us-east-1.amazonaws.com\t.evil.example",
    # a trailing dot, plain http, and a loopback look-alike
    "https://abc123.execute-api.us-east-1.amazonaws.com./",
    "http://abc123.execute-api.us-east-1.amazonaws.com",
    "http://127.0.0.1.evil.example:3000",
    "http://[::ffff:127.0.0.1]:3000",
    "https://2130706433",
]


@pytest.mark.parametrize("url", LOOK_ALIKES)
def test_a_look_alike_host_is_a_usage_error_before_any_network(
    url: str, aws_credentials: None, no_network: list[tuple[object, ...]]
) -> None:
    result = CliRunner().invoke(
        main, [*OTHELLO, "--endpoint", url, "--iam", "--region", "us-east-1"]
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    assert "--endpoint" in error or "--iam will not sign" in error
    assert no_network == []


def test_an_api_url_signed_by_default_is_never_signed_over_http(
    aws_credentials: None, no_network: list[tuple[object, ...]]
) -> None:
    """Without --iam, an execute-api host is signed when credentials exist: so it needs https."""
    url = "http://abc123.execute-api.us-east-1.amazonaws.com"
    result = CliRunner().invoke(main, [*OTHELLO, "--endpoint", url])
    assert result.exit_code == 2
    assert "signed requests need https (plain http only to loopback)" in result.output
    assert no_network == []


@pytest.mark.parametrize(
    ("url", "iam_host"),
    [
        (API, None),
        (API + "/prod/", None),
        ("https://abc123.execute-api.cn-north-1.amazonaws.com.cn", None),
        ("https://ABC123.EXECUTE-API.US-EAST-1.AMAZONAWS.COM", None),
        ("http://127.0.0.1:3000", None),
        ("http://localhost:3000", None),
        ("http://[::1]:3000", None),
        ("https://api.example.com/v1", "api.example.com"),
        (API, "api.example.com"),
    ],
)
def test_the_hosts_signed_requests_may_go_to(url: str, iam_host: str | None) -> None:
    check_signable(parse_endpoint(url), iam_host)


@pytest.mark.parametrize(
    ("url", "iam_host", "reason"),
    [
        ("https://api.example.com", None, "will not sign for the host 'api.example.com'"),
        ("https://api.example.com.evil.example", "api.example.com", "will not sign for the host"),
        ("https://evil.example/api.example.com", "api.example.com", "will not sign for the host"),
        ("http://api.example.com", "api.example.com", "need https"),
    ],
)
def test_a_custom_domain_is_signed_only_when_named_exactly(
    url: str, iam_host: str | None, reason: str
) -> None:
    with pytest.raises(UsageProblem, match=reason):
        check_signable(parse_endpoint(url), iam_host)


def test_iam_host_names_the_custom_domain_on_the_command_line(
    aws_credentials: None, no_network: list[tuple[object, ...]]
) -> None:
    refused = CliRunner().invoke(
        main,
        [
            *OTHELLO,
            "--endpoint",
            "https://api.example.com.evil.example",
            "--iam-host",
            "api.example.com",
            "--region",
            "us-east-1",
        ],
    )
    assert refused.exit_code == 2
    assert "will not sign for the host 'api.example.com.evil.example'" in refused.output
    assert no_network == []


@pytest.mark.parametrize(
    "value",
    [
        "https://api.example.com",
        "api.example.com.",
        "api.example.com:443",
        "2130706433",
        "127.0.0.1",
        "api.example.com/v1",
        "localhost",
    ],
)
def test_iam_host_is_a_host_name_and_nothing_else(value: str) -> None:
    result = CliRunner().invoke(
        main, [*OTHELLO, "--endpoint", "http://127.0.0.1:9", "--iam-host", value]
    )
    assert result.exit_code == 2
    assert "Invalid value for '--iam-host'" in result.output


def test_iam_host_contradicts_no_iam() -> None:
    result = CliRunner().invoke(
        main, [*OTHELLO, "--endpoint", API, "--no-iam", "--iam-host", "api.example.com"]
    )
    assert result.exit_code == 2
    assert "not with --no-iam" in result.output


def test_the_signer_itself_refuses_another_host(no_network: list[tuple[object, ...]]) -> None:
    """Whatever URL a request was built from, SigV4 signs only for the hosts above."""
    signer = SigV4(Credentials(KEY, SECRET), "us-east-1")
    with pytest.raises(UsageProblem, match=r"will not sign for the host 'evil\.example'"):
        HttpClassifier("https://evil.example", signer=signer).classify([Movie("x", "y")])
    assert no_network == []


def test_a_signed_request_is_not_sent_on_by_a_redirect(aws_credentials: None) -> None:
    seen_elsewhere: list[dict[str, str]] = []
    with fake_api([Answer()], seen_elsewhere) as (elsewhere, _):
        moved = Answer(307, "", headers={"Location": f"{elsewhere}/genres"})
        seen: list[dict[str, str]] = []
        with fake_api([moved], seen) as (url, _):
            result = CliRunner().invoke(
                main, [*OTHELLO, "--endpoint", url, "--iam", "--region", "us-east-1"]
            )
    assert result.exit_code == ServerFailed.exit_code
    assert f"redirected (HTTP 307) to {elsewhere}/genres: not followed" in result.output
    assert "Authorization" in seen[0]
    assert seen_elsewhere == []


def test_the_signature_takes_its_region_from_aws_region(
    aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-2")
    seen: list[dict[str, str]] = []
    with fake_api([Answer()], seen) as (url, _):
        result = CliRunner().invoke(main, [*OTHELLO, "--endpoint", url, "--iam"])
    assert result.exit_code == 0, result.output
    assert_validly_signed(seen[0], f"{url}/genres", "eu-west-2")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--endpoint", "http://127.0.0.1:9", "--iam"], "--iam needs boto3"),
        (["--stack", "movie-genre-dev"], "--stack needs boto3"),
    ],
)
def test_without_boto3_aws_options_say_what_to_install(
    monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)  # import boto3 raises ImportError
    result = CliRunner().invoke(main, [*OTHELLO, *args])
    assert result.exit_code == 9
    assert result.output.strip() == f"Error: {message}: pip install 'movie-genre[aws]'"
