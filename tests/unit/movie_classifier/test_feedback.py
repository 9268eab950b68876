"""Sending corrections: --genres for one movie, --corrections for a CSV, to POST /feedback."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from genre_model.corrections import FEEDBACK_NOT_CONFIGURED
from movie_classifier.errors import RefusedInput, ServerFailed, Throttled
from movie_classifier.http_api import HttpClassifier
from movie_classifier.main import main
from tests.helpers.fake_api import Answer, fake_api

SAVED_ID = "0b7e1f7e-4c1a-4a57-9c4e-0d3f5b6a7c8d"
SAVED = Answer(202, {"id": SAVED_ID}, headers={"X-Model-Version": "fake-1"})
NOT_CONFIGURED = Answer(503, {"detail": FEEDBACK_NOT_CONFIGURED}, headers={"X-Model-Version": "v"})
OTHELLO = ["--title", "Othello", "--description", "The evil Iago pretends to be a friend."]


def body(genres: list[str]) -> dict:
    return {
        "title": "Othello",
        "description": "The evil Iago pretends to be a friend.",
        "genres": genres,
    }


def test_a_correction_is_posted_to_the_feedback_route() -> None:
    seen: list[dict[str, str]] = []
    with fake_api([SAVED], seen) as (url, received):
        assert HttpClassifier(url).send_correction(body(["Drama"])) == SAVED_ID
    assert received == [body(["Drama"])]
    assert seen[0][":path"] == "/feedback"


def test_feedback_not_configured_is_said_at_once_without_retrying() -> None:
    with (
        fake_api([NOT_CONFIGURED]) as (url, received),
        pytest.raises(ServerFailed, match="feedback is not configured on this deployment"),
    ):
        HttpClassifier(url, retries=3, backoff=0.01).send_correction(body([]))
    assert len(received) == 1


def test_a_503_of_the_gateway_is_still_retried() -> None:
    busy = Answer(503, {"message": "Service Unavailable"})
    with fake_api([busy, SAVED]) as (url, received):
        assert HttpClassifier(url, retries=3, backoff=0.01).send_correction(body([])) == SAVED_ID
    assert len(received) == 2
    with fake_api([busy]) as (url, _), pytest.raises(Throttled):
        HttpClassifier(url, retries=1, backoff=0.01).send_correction(body([]))


def test_a_refused_correction_is_a_refused_input_with_the_apis_words() -> None:
    detail = [{"loc": ["body", "genres", 0], "msg": "Input should be 'Comedy' or 'Drama'"}]
    with (
        fake_api([Answer(422, {"detail": detail})]) as (url, _),
        pytest.raises(RefusedInput, match=r"HTTP 422\): genres\.0: Input should be") as error,
    ):
        HttpClassifier(url).send_correction(body(["Horror"]))
    assert error.value.exit_code == 6


@pytest.mark.parametrize(
    ("option", "genres", "said"),
    [
        ("Comedy,Romance", ["Comedy", "Romance"], "-> Comedy, Romance"),
        (" Drama ", ["Drama"], "-> Drama"),
        ("", [], "-> none of these"),
    ],
)
def test_one_movie_with_genres(option: str, genres: list[str], said: str) -> None:
    with fake_api([SAVED]) as (url, received):
        result = CliRunner().invoke(main, [*OTHELLO, "--endpoint", url, "--genres", option])
    assert result.exit_code == 0, result.output
    assert received == [body(genres)]
    assert result.stdout == f"saved correction {SAVED_ID}: 'Othello' {said}\n"


def test_one_movie_as_json() -> None:
    with fake_api([SAVED]) as (url, _):
        result = CliRunner().invoke(
            main, [*OTHELLO, "--endpoint", url, "--genres", "Drama", "--json"]
        )
    assert json.loads(result.stdout) == {"id": SAVED_ID, "title": "Othello", "genres": ["Drama"]}


def test_not_configured_through_the_command_is_one_line_with_its_exit_code() -> None:
    with fake_api([NOT_CONFIGURED]) as (url, _):
        result = CliRunner().invoke(main, [*OTHELLO, "--endpoint", url, "--genres", "Drama"])
    assert result.exit_code == ServerFailed.exit_code == 7
    assert result.stderr.count("\n") == 1
    assert "Error: " in result.stderr and "feedback is not configured" in result.stderr


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_of_corrections_in_every_genres_form(tmp_path: Path) -> None:
    csv = write(
        tmp_path / "fixes.csv",
        "title,overview,genres\n"
        'Alpha,A plot.,"Comedy, Romance"\n'
        "Beta,Another plot.,Drama;Crime\n"
        "Gamma,Third plot.,\"[{'id': 18, 'name': 'Drama'}]\"\n"
        "Delta,Fourth plot.,\n",
    )
    with fake_api([SAVED]) as (url, received):
        result = CliRunner().invoke(main, ["--endpoint", url, "--corrections", str(csv)])
    assert result.exit_code == 0, result.output
    assert sorted((r["title"], r["genres"]) for r in received) == [
        ("Alpha", ["Comedy", "Romance"]),
        ("Beta", ["Drama", "Crime"]),
        ("Delta", []),
        ("Gamma", ["Drama"]),
    ]
    assert f"4 of 4 corrections saved to {url}" in result.stderr


def test_the_classify_output_csv_comes_back_with_what_the_user_saw(tmp_path: Path) -> None:
    csv = write(
        tmp_path / "genres.csv",
        "row,title,description,genre,genres,model_version,score_Comedy,score_Drama,error\n"
        "1,Alpha,A plot.,Drama,Comedy,20261127-005734-402e991a,0.25,0.75,\n",
    )
    with fake_api([SAVED]) as (url, received):
        result = CliRunner().invoke(main, ["--endpoint", url, "--corrections", str(csv)])
    assert result.exit_code == 0, result.output
    assert received == [
        {
            "title": "Alpha",
            "description": "A plot.",
            "genres": ["Comedy"],
            "model_version": "20261127-005734-402e991a",
            "scores": {"Comedy": 0.25, "Drama": 0.75},
        }
    ]


def test_neutralised_cells_of_an_output_csv_are_sent_as_they_were(tmp_path: Path) -> None:
    """--output's CSV puts a ' before a cell that would run as a formula; read back, it is
    taken off (and only there: a title that starts with ' alone keeps it)."""
    csv = write(
        tmp_path / "genres.csv",
        "row,title,description,genres\n1,'=Alpha,'-A plot.,Comedy\n2,'Tis Pity,'@ plot.,Drama\n",
    )
    with fake_api([SAVED]) as (url, received):
        result = CliRunner().invoke(main, ["--endpoint", url, "--corrections", str(csv)])
    assert result.exit_code == 0, result.output
    assert sorted((body["title"], body["description"]) for body in received) == [
        ("'Tis Pity", "@ plot."),
        ("=Alpha", "-A plot."),
    ]


def test_rows_not_saved_are_named_and_fail_the_command_after_the_rest(tmp_path: Path) -> None:
    csv = write(
        tmp_path / "fixes.csv",
        "title,description,genres\n"
        "Alpha,A plot.,Horror\n"
        ",No title.,Drama\n"
        "Beta,Another plot.,\"[{'id': 18}]\"\n"
        "Gamma,Third plot.,Drama\n",
    )
    refused = Answer(422, {"detail": [{"loc": ["body", "genres", 0], "msg": "not a label"}]})
    with fake_api([refused, SAVED]) as (url, received):
        result = CliRunner().invoke(
            main, ["--endpoint", url, "--corrections", str(csv), "--concurrency", "1", "--json"]
        )
    assert [r["title"] for r in received] == ["Alpha", "Gamma"]  # rows 2 and 3 never sent
    assert result.exit_code == RefusedInput.exit_code
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(line["row"], "id" in line) for line in lines] == [
        (1, False),
        (2, False),
        (3, False),
        (4, True),
    ]
    assert "1 of 4 corrections saved" in result.stderr
    assert "row 1 not saved: " in result.stderr and "genres.0: not a label" in result.stderr
    assert "row 2 not saved: empty title" in result.stderr
    assert "row 3 not saved: genres" in result.stderr
    assert f"Error: 3 of 4 corrections in {csv} were not saved" in result.stderr


def test_a_csv_without_a_genres_column_fails_before_any_request(
    tmp_path: Path, no_network: list
) -> None:
    csv = write(tmp_path / "movies.csv", "title,description\nAlpha,A plot.\n")
    result = CliRunner().invoke(
        main, ["--endpoint", "http://127.0.0.1:9", "--corrections", str(csv)]
    )
    assert result.exit_code == 1
    assert "needs a 'title' column and a 'description' (or 'overview') column and a 'genres'" in (
        result.stderr
    )
    assert no_network == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*OTHELLO, "--genres", "Drama"], "corrections go to a deployed API"),
        (["--title", "Othello", "--genres", "Drama"], "Missing option '--description'"),
        ([*OTHELLO, "--genres", "Drama", "--explain"], "not with --file, --output or --explain"),
        (["--corrections", "x.csv", *OTHELLO], "give either --corrections FILE or"),
        (["--corrections", "x.csv", "--genres", "Drama"], "give either --corrections FILE or"),
        (["--file", "x.csv", "--genres", "Drama"], "not with --file, --output or --explain"),
        ([*OTHELLO, "--genres", "[{'id': 1}]", "--endpoint", "http://127.0.0.1:9"], "--genres"),
    ],
)
def test_usage_errors_exit_2_before_any_request(
    args: list[str], message: str, no_network: list
) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert no_network == []
