from typing import Any

import pytest
from botocore.credentials import Credentials
from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

from movie_classifier.classifier import Movie
from movie_classifier.errors import Refused, ServerFailed, Throttled, TimedOut, Unreachable
from movie_classifier.http_api import HttpClassifier, _unreachable_hint
from movie_classifier.iam import SigV4
from tests.helpers.fake_api import Answer, fake_api
from tests.helpers.servers import free_port
from tests.unit.movie_classifier.conftest import KEY, SECRET

MOVIE = Movie("Othello", "The evil Iago pretends to be friend of Othello.")
# What a proxy in front of the API answers: a multi-line HTML page, far over 200 characters.
PROXY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n"
    + "<!-- a padding comment to make the page long -->\r\n" * 40
    + "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
HTML = {"Content-Type": "text/html; charset=utf-8"}


def test_posts_the_batch_route_and_reads_its_answer() -> None:
    with fake_api([Answer()]) as (url, received):
        result = HttpClassifier(url + "/").classify([MOVIE, MOVIE])
    assert received == [{"movies": [{"title": MOVIE.title, "description": MOVIE.description}] * 2}]
    assert [r.genre for r in result] == ["Drama", "Drama"]
    assert result[0].model_version == "fake-1"


def test_throttling_is_retried_then_succeeds() -> None:
    answers = [Answer(429, {"message": "Too Many Requests"}), Answer(503, "busy"), Answer()]
    with fake_api(answers) as (url, received):
        result = HttpClassifier(url, retries=3, backoff=0.01).classify([MOVIE])
    assert len(received) == 3
    assert result[0].genre == "Drama"


def test_throttling_past_the_retries_is_reported() -> None:
    with (
        fake_api([Answer(429, {"message": "Too Many Requests"}, headers={"Retry-After": "0"})]) as (
            url,
            received,
        ),
        pytest.raises(Throttled, match="throttling requests \\(HTTP 429\\)"),
    ):
        HttpClassifier(url, retries=2, backoff=0.01).classify([MOVIE])
    assert len(received) == 3


def test_a_4xx_carries_the_servers_message() -> None:
    detail = [{"loc": ["body", "movies", 0, "title"], "msg": "String should have at least 1"}]
    with (
        fake_api([Answer(422, {"detail": detail})]) as (url, _),
        pytest.raises(Refused, match=r"HTTP 422\): title: String should have at least 1") as error,
    ):
        HttpClassifier(url).classify([MOVIE])
    assert error.value.exit_code == 6


# A result with a string where the scores belong: written out, it would fail the CSV's columns.
BAD_RESULT = {"genre": "Drama", "genres": ["Drama"], "scores": "high"}


@pytest.mark.parametrize(
    "body",
    [
        BAD_RESULT | {"model_version": "v", "explanations": {}},
        {**BAD_RESULT, "scores": {"Drama": 0.7}, "model_version": "v", "explanations": []},
        {
            **BAD_RESULT,
            "scores": {"Drama": 0.7},
            "model_version": "v",
            "explanations": {"Drama": [{"word": "x", "weight": "heavy"}]},
        },
    ],
)
def test_an_explanation_that_is_not_the_apis_is_a_server_failure(body: dict) -> None:
    with fake_api([Answer(body=body)]) as (url, _), pytest.raises(ServerFailed, match="not this"):
        HttpClassifier(url).explain(MOVIE, 3)


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (Answer(500, {"message": "Internal Server Error"}), "HTTP 500\\): Internal Server Error"),
        (Answer(502, "<html>bad gateway</html>"), "HTTP 502\\): <html>bad gateway</html>"),
        (Answer(200, {"unexpected": True}), "not this API's"),
        (Answer(200, "<html>a login page</html>", headers=HTML), "not this API's"),
        (Answer(200, {"model_version": "v", "results": "Drama"}), "not this API's"),
        (Answer(200, [1, 2]), "not this API's"),
        (
            Answer(200, {"model_version": "v", "results": [BAD_RESULT]}),
            "not this API's",
        ),
    ],
)
def test_server_failures(answer: Answer, match: str) -> None:
    with fake_api([answer]) as (url, _), pytest.raises(ServerFailed, match=match) as error:
        HttpClassifier(url).classify([MOVIE])
    assert error.value.exit_code == 7


@pytest.mark.parametrize(
    ("answer", "error_class"),
    [
        (Answer(502, PROXY_PAGE, headers=HTML), ServerFailed),
        (
            Answer(501, PROXY_PAGE.replace("502 Bad Gateway", "501 Not Implemented"), headers=HTML),
            ServerFailed,
        ),
        (
            Answer(404, PROXY_PAGE.replace("502 Bad Gateway", "404 Not Found"), headers=HTML),
            Refused,
        ),
    ],
)
def test_a_body_that_is_not_json_is_quoted_in_one_short_line(
    answer: Answer, error_class: type[Exception]
) -> None:
    with fake_api([answer]) as (url, _), pytest.raises(error_class) as error:
        HttpClassifier(url).classify([MOVIE])
    message = str(error.value)
    assert "\n" not in message and "\r" not in message
    assert f"(HTTP {answer.status}): <html> <head><title>{answer.status} " in message
    assert "text/html; charset=utf-8" in message
    collapsed = " ".join(str(answer.body).split())
    assert f"the first 200 of {len(collapsed)} characters" in message
    assert collapsed[:200] + "..." in message and "nginx" not in message
    assert len(message) < 400


def test_an_empty_error_body_gives_the_status_reason() -> None:
    with (
        fake_api([Answer(502, "")]) as (url, _),
        pytest.raises(ServerFailed, match=r"HTTP 502\): Bad Gateway \(an empty body, text/plain\)"),
    ):
        HttpClassifier(url).classify([MOVIE])


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_reported_and_never_followed(status: int, signed: bool) -> None:
    signer = SigV4(Credentials(KEY, SECRET, "a-session-token"), "us-east-1") if signed else None
    with fake_api([Answer()]) as (elsewhere, taken_there):
        moved = Answer(status, "", headers={"Location": f"{elsewhere}/genres"})
        with (
            fake_api([moved]) as (url, received),
            pytest.raises(
                ServerFailed, match=rf"redirected \(HTTP {status}\) to {elsewhere}/genres"
            ),
        ):
            HttpClassifier(url, signer=signer).classify([MOVIE])
    assert len(received) == 1
    assert taken_there == []


def test_a_slow_server_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server never answers (until the test ends): each request is sent with the 0.2 s
    timeout, and the error says that was all it waited."""
    timeouts: list[object] = []
    send = HTTPAdapter.send

    def recording(self: HTTPAdapter, request: PreparedRequest, **kwargs: Any) -> Response:
        timeouts.append(kwargs.get("timeout"))
        return send(self, request, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", recording)
    with fake_api([Answer(hang=True)]) as (url, _), pytest.raises(TimedOut) as refused:
        HttpClassifier(url, timeout=0.2).classify([MOVIE])
    assert str(refused.value) == f"no answer from {url}/genres within 0.2 s"
    assert timeouts and set(timeouts) == {0.2}


def test_nothing_listening_is_unreachable() -> None:
    with pytest.raises(Unreachable, match="is the API running on this port"):
        HttpClassifier(f"http://127.0.0.1:{free_port()}").classify([MOVIE])


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("http://127.0.0.1:3000/genres", "is `sam local start-api` running?"),
        ("http://localhost:8000/genres", "is `make serve` running?"),
        ("http://[::1]:8123/genres", "is the API running on this port?"),
        ("https://abc.execute-api.us-east-1.amazonaws.com/genres", "check the URL, the network"),
        ("http://127.0.0.2:3000/genres", "check the URL, the network"),
    ],
)
def test_what_to_check_depends_on_where_the_endpoint_is(url: str, hint: str) -> None:
    assert _unreachable_hint(url).startswith(hint)


ESCAPES = "\x1b]0;PWNED\x07\x1b[2J\x9b31m"


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        (Answer(500, {"detail": ESCAPES}), "HTTP 500"),
        (Answer(500, ESCAPES), "HTTP 500"),
        (Answer(302, "", headers={"Location": "http://evil.example/" + ESCAPES}), "not UTF-8"),
        (Answer(307, "", headers={"Location": "/x" + ESCAPES[:-4]}), "redirected (HTTP 307)"),
        (Answer(422, {"detail": [{"loc": ["body", ESCAPES], "msg": ESCAPES}]}), "HTTP 422"),
    ],
)
def test_what_a_server_says_reaches_the_terminal_escaped(answer: Answer, shown: str) -> None:
    """Bodies and headers are outside text: their control characters are printed escaped."""
    from click.testing import CliRunner

    from movie_classifier.main import main

    with fake_api([answer]) as (url, _):
        result = CliRunner().invoke(
            main, ["--endpoint", url, "--title", "Othello", "--description", "Iago lies."]
        )
    assert result.exit_code != 0 and shown in result.output
    assert "\\x1b]0;PWNED\\x07" in result.output
    assert not [char for char in result.output if char in "\x1b\x07\x9b"]
