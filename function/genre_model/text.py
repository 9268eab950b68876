"""The text a model reads for one movie."""

from typing import Literal

TextFields = Literal["title+description", "description"]
TEXT_FIELDS: tuple[TextFields, ...] = ("title+description", "description")
# What the recipes read unless told otherwise: the title adds to the description on validation.
DEFAULT_TEXT_FIELDS: TextFields = "title+description"


def compose_text(title: str, description: str, fields: TextFields) -> str:
    """Join the fields a model was trained on, exactly as training did."""
    if fields == "description":
        return description.strip()
    if fields == "title+description":
        # A sentence break keeps the title's last token from gluing onto the description's first.
        return f"{title.strip()}.\n{description.strip()}"
    raise ValueError(f"unknown text fields {fields!r}; expected one of {TEXT_FIELDS}")
