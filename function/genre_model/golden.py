"""The golden set's comparison: how far a model's scores may move from those it gave at packaging.

One copy for both checks that use it: the function's own check at init (GenreClassifier) and
the deployment's pre-traffic check, which runs without spaCy. Standard library only, and no
import from this package: the pre-traffic function's build copies this file alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# How far a golden score may move unless the golden set says otherwise: float noise between
# machines, far below any real change. An int8 model needs more (golden.json's "tolerance").
GOLDEN_TOLERANCE = 1e-4
# The widest tolerance a golden set may ask for: past it, the check no longer tells a model that
# answers as it was trained from one that does not (an int8 model needs 0.02 at most).
MAX_GOLDEN_TOLERANCE = 0.05
# The response header by which a served answer names its model version.
MODEL_VERSION_HEADER = "x-model-version"


def golden_tolerance(document: Mapping[str, Any]) -> float:
    """The tolerance a golden set declares (GOLDEN_TOLERANCE when it declares none).

    Raises ValueError unless it is a number in [0, MAX_GOLDEN_TOLERANCE]: "NaN", 1e9 or a
    negative value would make every score pass, or none.
    """
    declared = document.get("tolerance", GOLDEN_TOLERANCE)
    if isinstance(declared, bool) or not isinstance(declared, int | float):
        raise ValueError(f"the golden set's tolerance {declared!r} is not a number")
    tolerance = float(declared)
    if math.isnan(tolerance) or not 0 <= tolerance <= MAX_GOLDEN_TOLERANCE:
        raise ValueError(
            f"the golden set's tolerance {declared!r} is outside [0, {MAX_GOLDEN_TOLERANCE}]"
        )
    return tolerance


def score_difference(expected: Mapping[str, float], actual: Mapping[str, float]) -> float:
    """The largest difference between two movies' scores, label by label.

    Raises ValueError when they score different labels; a non-finite score differs infinitely.
    """
    if set(expected) != set(actual):
        raise ValueError(f"labels {sorted(actual)} differ from the golden set's {sorted(expected)}")
    differences = [abs(float(actual[label]) - float(expected[label])) for label in expected]
    return max((d if math.isfinite(d) else math.inf for d in differences), default=0.0)
