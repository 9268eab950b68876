import pytest

from movie_classifier.client import (
    HttpClassifier,
    Movie,
    Refused,
    ServerFailed,
    Throttled,
    TimedOut,
    Unreachable,
)
from tests.helpers.fake_api import Answer, fake_api
from tests.helpers.servers import free_port

MOVIE = Movie("Othello", "The evil Iago pretends to be friend of Othello.")


def test_posts_the_batch_route_and_reads_its_answer() -> None:
    with fake_api([Answer()]) as (url, received):
        result = HttpClassifier(url + "/").classify([MOVIE, MOVIE])
    assert received == [{"movies": [{"title": MOVIE.title, "description": MOVIE.description}] * 2}]
    assert [r.genre for r in result] == ["Drama", "Drama"]
    assert result[0].model_version == "fake-1"


def test_throttling_is_retried_then_succeeds() -> None:
    answers = [Answer(429, {"message": "Too Many Requests"}), Answer(503, "busy"), Answer()]
    with fake_api(answers) as (url, received):
        result = HttpClassifier(url, retries=3).classify([MOVIE])
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
        HttpClassifier(url, retries=2).classify([MOVIE])
    assert len(received) == 3


def test_a_4xx_carries_the_servers_message() -> None:
    detail = [{"loc": ["body", "movies", 0, "title"], "msg": "String should have at least 1"}]
    with (
        fake_api([Answer(422, {"detail": detail})]) as (url, _),
        pytest.raises(
            Refused, match=r"HTTP 422\): movies\.0\.title: String should have at least 1"
        ) as error,
    ):
        HttpClassifier(url).classify([MOVIE])
    assert error.value.exit_code == 6


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (Answer(500, {"message": "Internal Server Error"}), "HTTP 500\\): Internal Server Error"),
        (Answer(502, "<html>bad gateway</html>"), "HTTP 502\\): <html>bad gateway</html>"),
        (Answer(200, {"unexpected": True}), "not this API's"),
    ],
)
def test_server_failures(answer: Answer, match: str) -> None:
    with fake_api([answer]) as (url, _), pytest.raises(ServerFailed, match=match) as error:
        HttpClassifier(url).classify([MOVIE])
    assert error.value.exit_code == 7


def test_a_slow_server_times_out() -> None:
    with fake_api([Answer(delay=1.0)]) as (url, _), pytest.raises(TimedOut, match=r"0\.2 s"):
        HttpClassifier(url, timeout=0.2).classify([MOVIE])


def test_nothing_listening_is_unreachable() -> None:
    with pytest.raises(Unreachable, match="is `sam local start-api` \\(or the API\\) running"):
        HttpClassifier(f"http://127.0.0.1:{free_port()}").classify([MOVIE])
