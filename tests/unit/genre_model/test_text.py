import pytest

from genre_model import compose_text


def test_title_and_description_are_joined_with_a_sentence_break() -> None:
    assert compose_text(" Othello ", " The evil Iago. ", "title+description") == (
        "Othello.\nThe evil Iago."
    )


def test_description_only_ignores_the_title() -> None:
    assert compose_text("Othello", " The evil Iago. ", "description") == "The evil Iago."


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown text fields"):
        compose_text("a", "b", "plot")  # type: ignore[arg-type]
