import pytest

from genre_model.s3_names import is_bucket_name, split_s3_url


@pytest.mark.parametrize("name", ["abc", "my.models-2026", "a" * 63])
def test_bucket_names_s3_takes(name: str) -> None:
    assert is_bucket_name(name)


@pytest.mark.parametrize(
    "name",
    ["ab", "a" * 64, "Models", "my_models", "-models", "models.", "my..models", "192.168.0.1",
     "xn--models", "models-s3alias", "models--ol-s3", ""],
)  # fmt: skip
def test_bucket_names_s3_refuses(name: str) -> None:
    assert not is_bucket_name(name)


def test_an_s3_url_is_its_bucket_and_key() -> None:
    assert split_s3_url("s3://models/movie-genre/latest.json") == (
        "models",
        "movie-genre/latest.json",
    )
    assert split_s3_url("s3://models") == ("models", "")
    assert split_s3_url("s3://models/results/") == ("models", "results/")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("models/key", "is not an s3://BUCKET/KEY location"),
        ("s3://Models/key", "'Models' is not an S3 bucket name"),
        ("s3://models/a\nb", "no control characters"),
        ("s3://models/" + "k" * 1025, "at most 1024 bytes"),
    ],
)
def test_what_is_wrong_with_a_location_is_said(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        split_s3_url(text)
