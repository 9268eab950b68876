"""--file and --output as s3:// locations: parsed once, refused before any network when S3 could
not hold them."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from movie_classifier.s3_location import LOCAL_OR_S3, S3Location, parse_s3


@pytest.mark.parametrize(
    ("text", "bucket", "key"),
    [
        ("s3://my-bucket/input/movies.csv", "my-bucket", "input/movies.csv"),
        ("s3://my.bucket.1/results/", "my.bucket.1", "results/"),
        ("s3://abc", "abc", ""),
        ("s3://abc/a b/ü.jsonl", "abc", "a b/ü.jsonl"),
    ],
)
def test_a_location_is_its_bucket_and_key(text: str, bucket: str, key: str) -> None:
    location = parse_s3(text)
    assert (location.bucket, location.key) == (bucket, key)
    assert str(location) == text.rstrip("/") + ("/" if text.endswith("/") or not key else "")


@pytest.mark.parametrize(
    "text",
    [
        "s3://",
        "s3://ab/key",  # too short
        "s3://Upper/key",
        "s3://under_score/key",
        "s3://-dash/key",
        "s3://dots..twice/key",
        "s3://" + "a" * 64 + "/key",
        "s3://bucket/new\nline.csv",
        "s3://bucket/" + "é" * 513,  # 1,026 bytes
        "https://bucket/key",
    ],
)
def test_what_s3_could_not_hold_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"bucket name|control characters|not an s3://"):
        parse_s3(text)


def test_prefixes_names_and_suffixes() -> None:
    prefix, catalogue = parse_s3("s3://bucket/input/"), parse_s3("s3://bucket/input/m.jsonl")
    assert prefix.is_prefix and not catalogue.is_prefix
    assert (catalogue.name, catalogue.suffix) == ("m.jsonl", ".jsonl")
    assert catalogue.within(prefix)
    assert not catalogue.within(S3Location("other", "input/"))
    assert not parse_s3("s3://bucket/inputs/m.csv").within(prefix)


def test_the_option_type_keeps_local_paths_as_click_path_does(tmp_path: Path) -> None:
    assert LOCAL_OR_S3.convert("movies.csv", None, None) == Path("movies.csv")
    assert LOCAL_OR_S3.convert("s3://bucket/m.csv", None, None) == S3Location("bucket", "m.csv")
    with pytest.raises(click.BadParameter, match="is a directory"):
        LOCAL_OR_S3.convert(str(tmp_path), None, None)
    with pytest.raises(click.BadParameter, match="not an S3 bucket name"):
        LOCAL_OR_S3.convert("s3://B/m.csv", None, None)
