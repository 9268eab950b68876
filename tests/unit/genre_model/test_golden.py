"""genre_model.golden: the one comparison that the function's init check and the pre-traffic
check both run, and the bounds a golden set's tolerance must keep."""

from __future__ import annotations

import ast
import math
import sys
from pathlib import Path

import pytest

from genre_model import golden
from genre_model.golden import (
    GOLDEN_TOLERANCE,
    MAX_GOLDEN_TOLERANCE,
    golden_tolerance,
    score_difference,
)


@pytest.mark.parametrize(
    ("document", "tolerance"),
    [
        ({}, GOLDEN_TOLERANCE),
        ({"tolerance": 0}, 0.0),
        ({"tolerance": 0.02}, 0.02),
        ({"tolerance": MAX_GOLDEN_TOLERANCE}, MAX_GOLDEN_TOLERANCE),
    ],
)
def test_a_tolerance_in_bounds_is_taken_as_declared(
    document: dict[str, object], tolerance: float
) -> None:
    assert golden_tolerance(document) == tolerance


@pytest.mark.parametrize(
    "declared",
    [math.nan, math.inf, -1e-9, MAX_GOLDEN_TOLERANCE + 1e-9, 1e9, "0.01", "NaN", True, None],
)
def test_a_tolerance_out_of_bounds_or_not_a_number_is_refused(declared: object) -> None:
    with pytest.raises(ValueError, match="tolerance"):
        golden_tolerance({"tolerance": declared})


def test_the_difference_is_the_largest_per_label() -> None:
    expected = {"Drama": 0.5, "Comedy": 0.25}
    assert score_difference(expected, {"Drama": 0.5, "Comedy": 0.2}) == pytest.approx(0.05)
    assert score_difference(expected, dict(expected)) == 0.0


def test_a_non_finite_score_differs_infinitely_and_other_labels_are_refused() -> None:
    assert score_difference({"Drama": 0.5}, {"Drama": math.nan}) == math.inf
    with pytest.raises(ValueError, match=r"labels \['Comedy'\] differ"):
        score_difference({"Drama": 0.5}, {"Comedy": 0.5})


def test_the_module_imports_only_the_standard_library() -> None:
    """The pre-traffic function's build copies this file alone, without the package."""
    tree = ast.parse(Path(golden.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported - {"__future__"} <= sys.stdlib_module_names


def test_the_functions_own_check_refuses_such_a_tolerance_at_load(tmp_path: Path) -> None:
    """The same bounds hold at init: a NaN tolerance cannot wave a model through there either."""
    from genre_model.classifier import ModelError, read_golden

    (tmp_path / "golden.json").write_text('{"movies": [], "tolerance": NaN}')
    with pytest.raises(ModelError, match="is not a golden set: the golden set's tolerance nan"):
        read_golden(tmp_path)
