"""The exit codes: one per kind of error, written down once (the classes), and the docs agree."""

import re

import click

from movie_classifier.errors import ERRORS, ClassifierError, UsageProblem, exit_codes
from tests.helpers.data import REPO


def test_each_kind_of_error_has_its_own_code_and_a_meaning() -> None:
    codes = [code for code, _ in exit_codes()]
    assert codes == sorted(set(codes)) == list(range(len(ERRORS) + 1))
    assert all(issubclass(error, ClassifierError) and error.meaning for error in ERRORS)
    assert UsageProblem.exit_code == click.UsageError.exit_code


def test_the_docs_table_is_the_classes() -> None:
    text = (REPO / "docs/cli.md").read_text()
    table = re.search(r"<!-- exit-codes:.*?-->\n(.*?)<!-- /exit-codes -->", text, re.DOTALL)
    assert table, "docs/cli.md has no exit-codes table"
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", table.group(1), re.MULTILINE)
    assert [(int(code), meaning) for code, meaning in rows] == exit_codes()
