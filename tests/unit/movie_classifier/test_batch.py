import csv
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from movie_classifier.main import main
from tests.helpers.fake_api import Answer, fake_api


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
    assert result.exit_code == 0, result.output
    assert sorted(len(body["movies"]) for body in received) == [1, 4, 4, 4, 4, 4]
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [line["row"] for line in lines] == list(range(1, 24))
    assert [line["title"] for line in lines] == [row["title"] for row in rows]
    assert lines[5]["error"] == "empty description" and "genre" not in lines[5]
    assert lines[17]["error"] == "empty title"
    assert lines[0]["genre"] == "Drama" and lines[0]["model_version"] == "fake-1"
    assert "21 of 23 rows classified" in result.output
    assert "row 6 skipped: empty description" in result.output


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


def test_a_failed_run_leaves_no_output_file(tmp_path: Path) -> None:
    source = write(tmp_path / "in.csv", movies(10))
    with fake_api([Answer(), Answer(500, {"message": "Internal Server Error"})]) as (url, _):
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
                "2",
                "--concurrency",
                "1",
            ],
        )
    assert result.exit_code == 7
    assert "HTTP 500" in result.output
    assert list(tmp_path.iterdir()) == [source]


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
    output = tmp_path / "new" / f"out{suffix}"
    with fake_api([Answer()]) as (url, _):
        run_file(source, output, url)
    assert stat.S_IMODE(output.stat().st_mode) == 0o644
    assert sorted(p.name for p in output.parent.iterdir()) == [output.name]  # no temporary left


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
    (tmp_path / "a-file").write_text("")
    output = tmp_path / "a-file" / "out.jsonl"
    with fake_api([Answer()]) as (url, _):
        result = CliRunner().invoke(
            main, ["--endpoint", url, "--file", str(source), "--output", str(output)]
        )
    assert result.exit_code == 1
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert error.startswith(f"Error: cannot write {output}: ")
    assert "Traceback" not in result.output
