"""The fields a file of movies names its text by: a title, and a description or, as in The Movies
Dataset's movies_metadata.csv, an overview. The CLI's --file and the function's catalogue batches
read the same fields. Standard library only: the CLI imports it without spaCy."""

from __future__ import annotations

from collections.abc import Collection, Mapping

TITLE_FIELD = "title"
DESCRIPTION_FIELDS = ("description", "overview")  # ours first, then movies_metadata.csv's
# A CSV written with a byte-order mark may name its first column "\ufefftitle".
BOM = "\ufeff"


def description_field(names: Collection[str]) -> str | None:
    """The field that holds the description among names: 'description', else 'overview'."""
    return next((name for name in DESCRIPTION_FIELDS if name in names), None)


def named_fields(row: Mapping[object, object]) -> dict[str, object]:
    """A row's fields by name, a leading byte-order mark dropped from each name."""
    return {str(name).lstrip(BOM): value for name, value in row.items()}
