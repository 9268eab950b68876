"""--file and --output: a local path, or an object (or prefix) in S3 written s3://BUCKET/KEY.

An S3 location is parsed once, and refused as a usage error before any network when it is not one
S3 could hold: a bucket name outside S3's rules, a key with control characters or over 1,024
bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import click

from genre_model.s3_names import S3_SCHEME, split_s3_url


@dataclass(frozen=True)
class S3Location:
    bucket: str
    key: str  # "" or ending in "/": a prefix

    def __str__(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.key}"

    @property
    def is_prefix(self) -> bool:
        return not self.key or self.key.endswith("/")

    @property
    def name(self) -> str:
        return PurePosixPath(self.key).name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.key).suffix

    def within(self, prefix: S3Location) -> bool:
        return self.bucket == prefix.bucket and self.key.startswith(prefix.key)


def parse_s3(text: str) -> S3Location:
    """s3://BUCKET/KEY as an S3Location, or ValueError saying what is wrong with it."""
    return S3Location(*split_s3_url(text))


class LocalOrS3(click.ParamType):
    """A local file (as click.Path(dir_okay=False) reads it) or an s3:// location."""

    name = "PATH|s3://BUCKET/KEY"
    local = click.Path(dir_okay=False, path_type=Path)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return self.name  # as written: click would upper-case the scheme

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Path | S3Location:
        if isinstance(value, Path | S3Location):
            return value
        if isinstance(value, str) and value.startswith(S3_SCHEME):
            try:
                return parse_s3(value)
            except ValueError as error:
                self.fail(str(error), param, ctx)
        if not isinstance(value, str):
            self.fail(f"{value!r} is not a path", param, ctx)
        path: Path = self.local.convert(value, param, ctx)
        return path


LOCAL_OR_S3 = LocalOrS3()
