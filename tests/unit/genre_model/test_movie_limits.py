import pytest

from genre_model.movie_fields import MAX_WORD_CHARS, TextLimits, movie_problem, text_problem


@pytest.mark.parametrize(
    ("title", "description", "problem"),
    [
        ("Othello", "Iago lies.", None),
        ("", "Iago lies.", "empty title"),
        ("\ufeff", "Iago lies.", "empty title"),  # blank to the API's schema, not to str.strip
        ("", " ", "empty title and description"),
        ("T" * 301, "Iago lies.", "title over 300 characters"),
        ("Othello", "w" * (MAX_WORD_CHARS + 1), "description has a word over 100 characters"),
        ("T" * 301, "", "title over 300 characters; empty description"),
    ],
)
def test_a_movie_is_refused_in_the_words_every_mode_writes(
    title: str, description: str, problem: str | None
) -> None:
    assert movie_problem(title, description) == problem


def test_a_word_of_the_limit_and_limits_of_a_deployment() -> None:
    assert text_problem("w" * MAX_WORD_CHARS, "title", 300) is None
    assert movie_problem("Othello", "x" * 11, TextLimits(description_chars=10)) == (
        "description over 10 characters"
    )
