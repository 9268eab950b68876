"""S3's naming rules and s3://BUCKET/KEY locations, checked in one place for the function's
settings, the CLI's --file/--output and the training steps' --feedback (stdlib only)."""

from __future__ import annotations

import re

S3_SCHEME = "s3://"
# General purpose buckets: 3-63 lower-case letters, digits, dots and hyphens, a letter or digit
# at each end, no "..", not an IP address, none of the reserved prefixes and suffixes.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII)
_IP_ADDRESS = re.compile(r"\d+\.\d+\.\d+\.\d+", re.ASCII)
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
MAX_KEY_BYTES = 1024


def is_bucket_name(name: str) -> bool:
    return bool(
        _BUCKET.fullmatch(name)
        and ".." not in name
        and not _IP_ADDRESS.fullmatch(name)
        and not name.startswith(_RESERVED_PREFIXES)
        and not name.endswith(_RESERVED_SUFFIXES)
    )


def split_s3_url(text: str) -> tuple[str, str]:
    """(bucket, key) of s3://BUCKET/KEY (KEY may be empty, or a prefix ending in /), or
    ValueError saying what is wrong with it."""
    if not text.startswith(S3_SCHEME):
        raise ValueError(f"{text!r} is not an s3://BUCKET/KEY location")
    bucket, _, key = text.removeprefix(S3_SCHEME).partition("/")
    if not is_bucket_name(bucket):
        raise ValueError(f"{text!r}: {bucket!r} is not an S3 bucket name")
    if not key.isprintable() or len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise ValueError(
            f"{text!r}: a key has no control characters and at most {MAX_KEY_BYTES} bytes"
        )
    return bucket, key
