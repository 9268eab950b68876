"""Settings: one MOVIE_GENRE_* variable per field, typed, refused when bad."""

from pathlib import Path

import pytest

from genre_api.settings import IMAGE_MODEL_DIR, Settings, SettingsError
from genre_model.locations import default_model_dir


def test_defaults_serve_the_shipped_model_with_every_check_on() -> None:
    settings = Settings.from_env()
    expected = IMAGE_MODEL_DIR if IMAGE_MODEL_DIR.is_dir() else default_model_dir()
    assert settings.model_dir == expected
    assert (settings.verify_model, settings.check_golden, settings.log_text) == (True, True, False)
    assert settings.public_pages is True  # off in production (template.yaml)
    assert (settings.max_batch, settings.max_title_chars, settings.max_description_chars) == (
        256,
        300,
        5000,
    )


@pytest.mark.parametrize("false", ["false", "False", "0", "no", "off"])
def test_false_in_any_usual_spelling_turns_verification_off(
    monkeypatch: pytest.MonkeyPatch, false: str
) -> None:
    monkeypatch.setenv("MOVIE_GENRE_VERIFY_MODEL", false)
    assert Settings.from_env().verify_model is False


def test_every_limit_and_the_model_dir_are_settable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MOVIE_GENRE_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("MOVIE_GENRE_MAX_BATCH", "8")
    monkeypatch.setenv("MOVIE_GENRE_MAX_TITLE_CHARS", "40")
    monkeypatch.setenv("MOVIE_GENRE_MAX_DESCRIPTION_CHARS", "900")
    monkeypatch.setenv("MOVIE_GENRE_LOG_TEXT", "true")
    settings = Settings.from_env()
    assert settings.model_dir == tmp_path
    assert (settings.max_batch, settings.max_title_chars, settings.max_description_chars) == (
        8,
        40,
        900,
    )
    assert settings.log_text is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MOVIE_GENRE_MAX_BATCH", "abc"),
        ("MOVIE_GENRE_MAX_BATCH", "0"),
        ("MOVIE_GENRE_MAX_BATCH", "-3"),
        ("MOVIE_GENRE_MAX_DESCRIPTION_CHARS", "1e9"),
        ("MOVIE_GENRE_CHECK_GOLDEN", "perhaps"),
        ("MOVIE_GENRE_PUBLIC_PAGES", "sometimes"),
        ("POWERTOOLS_METRICS_NAMESPACE", "AWS/Lambda"),
        ("POWERTOOLS_METRICS_NAMESPACE", "no;semicolons"),
        ("POWERTOOLS_SERVICE_NAME", ""),
        ("POWERTOOLS_TRACE_DISABLED", "maybe"),
    ],
)
def test_a_bad_value_is_refused_with_its_variable_named(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as refused:
        Settings.from_env()
    message = str(refused.value)
    assert message.startswith(f"{name}={value!r}: ")
    assert "\n" not in message


def test_powertools_settings_come_through_the_same_object(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (Settings.from_env().service_name, Settings.from_env().metrics_namespace) == (
        "movie-genre",
        "MovieGenre",
    )
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "genre-prod")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Movies/Prod")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    settings = Settings.from_env()
    assert (settings.service_name, settings.metrics_namespace) == ("genre-prod", "Movies/Prod")
    assert settings.trace_disabled is True
