"""manifest.json: what a model artifact is, how it was made, and the sha256 of every file."""

from __future__ import annotations

import hashlib
import json
import math
import re
import reprlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any, TypeGuard

from genre_model.evaluation import ManifestMetrics
from genre_model.text import TEXT_FIELDS, TextFields

MANIFEST_NAME = "manifest.json"
PIPELINE_DIR = "pipeline"
# Scores the trained model gave a few test-split movies: the init-time check that this model,
# on this machine and these library versions, answers as it did at training time.
GOLDEN_NAME = "golden.json"
# An artifact travels as one archive: manifest.json first, then every file the manifest lists.
ARCHIVE_NAME = "model.tar.gz"
_CHUNK = 1 << 20
# What `package` writes: <UTC date>-<UTC time>-<first 8 hex of the files' hash>. The version
# reaches S3 keys, an HTTP header and SAM's --parameter-overrides, so nothing else passes.
VERSION_PATTERN = re.compile(r"\d{8}-\d{6}-[0-9a-f]{8}", re.ASCII)
VERSION_FORM = "YYYYMMDD-HHMMSS-<8 hex digits>"
_SHA256_PATTERN = re.compile(r"[0-9a-f]{64}", re.ASCII)
_RECIPE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}", re.ASCII)
MAX_LABEL_CHARS = 64


class ManifestError(Exception):
    """The manifest is missing, malformed, or does not match the files beside it."""


def is_version(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and VERSION_PATTERN.fullmatch(value) is not None


def is_artifact_file_name(name: object) -> bool:
    """A relative, normalised POSIX path below the artifact (no '.', '..', '//' or '\\')."""
    if not isinstance(name, str) or not name.isprintable() or "\\" in name:
        return False
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and path.as_posix() == name
        and bool(path.parts)
        and all(part not in {".", ".."} for part in path.parts)
        and name != MANIFEST_NAME
    )


def sha256_stream(stream: IO[bytes]) -> str:
    """sha256 of a binary stream, read in chunks (a model's vectors can be large)."""
    digest = hashlib.sha256()
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    with path.open("rb") as stream:
        return sha256_stream(stream)


def hash_tree(root: Path) -> dict[str, str]:
    """sha256 of every file below root, keyed by its POSIX path relative to root."""
    return {
        path.relative_to(root).as_posix(): sha256_file(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def file_sizes(root: Path, names: Iterable[str]) -> dict[str, int]:
    """The size in bytes of each named file below root (what unpacking caps each file at)."""
    return {name: (root / name).stat().st_size for name in names}


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 80


def shown(value: object) -> str:
    """A value for an error message: quoted, and short whatever its length."""
    return _SHORT.repr(value)


def _check_version(version: object) -> None:
    if not is_version(version):
        raise ManifestError(f"version {shown(version)} is not of the form {VERSION_FORM}")


def _is_timestamp(value: object) -> bool:
    try:
        return isinstance(value, str) and bool(datetime.fromisoformat(value))
    except ValueError:
        return False


def _check_labels(labels: object, thresholds: object) -> None:
    """Unique, non-empty, printable labels, each with a finite threshold in [0, 1]."""
    if not isinstance(labels, list) or not isinstance(thresholds, dict):
        raise ManifestError("labels must be a list and thresholds an object")
    bad = [
        label
        for label in labels
        if not isinstance(label, str)
        or not 0 < len(label) <= MAX_LABEL_CHARS
        or not label.isprintable()
        or label != label.strip()
    ]
    if bad:
        raise ManifestError(f"labels must be printable names of 1-{MAX_LABEL_CHARS}: {shown(bad)}")
    if len(set(labels)) != len(labels):
        raise ManifestError(f"labels repeat: {shown(labels)}")
    missing = [label for label in labels if label not in thresholds]
    if not labels or missing:
        raise ManifestError(f"labels without a threshold: {missing or 'no labels'}")
    unknown = sorted(str(key) for key in thresholds if key not in labels)
    if unknown:
        raise ManifestError(f"thresholds for labels it does not have: {shown(unknown)}")
    out_of_range = {
        label: value
        for label, value in thresholds.items()
        if isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (math.isfinite(value) and 0.0 <= value <= 1.0)
    }
    if out_of_range:
        raise ManifestError(f"thresholds must be numbers in [0, 1]: {shown(out_of_range)}")


def _check_files(files: object, sizes: object) -> None:
    """Relative POSIX names, each with a sha256 and, where recorded, a size in bytes."""
    if not isinstance(files, dict) or not isinstance(sizes, dict):
        raise ManifestError("files and sizes must be objects")
    bad_names = sorted(str(name) for name in files if not is_artifact_file_name(name))
    if bad_names:
        raise ManifestError(f"file names must be relative POSIX paths: {shown(bad_names)}")
    bad_hashes = sorted(
        name
        for name, digest in files.items()
        if not isinstance(digest, str) or not _SHA256_PATTERN.fullmatch(digest)
    )
    if bad_hashes:
        raise ManifestError(f"files without a sha256: {shown(bad_hashes)}")
    # Manifests written before sizes were recorded have none; unpacking then caps the whole.
    if sizes and set(sizes) != set(files):
        raise ManifestError("sizes must name exactly the files listed")
    bad_sizes = sorted(
        name
        for name, size in sizes.items()
        if isinstance(size, bool) or not isinstance(size, int) or size < 0
    )
    if bad_sizes:
        raise ManifestError(f"file sizes must be whole numbers of bytes: {shown(bad_sizes)}")


@dataclass(frozen=True)
class Manifest:
    version: str
    created_at: str
    spacy_version: str
    recipe: str
    config: str
    labels: list[str]
    thresholds: dict[str, float]
    text_fields: TextFields
    data_sha256: str
    split_sizes: dict[str, int]
    metrics: ManifestMetrics
    files: dict[str, str] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse what could not have come from `package`: the values reach S3 keys, headers,
        file paths and deployment parameters."""
        _check_version(self.version)
        if not _is_timestamp(self.created_at):
            raise ManifestError(f"created_at {shown(self.created_at)} is not a timestamp")
        if not isinstance(self.recipe, str) or not _RECIPE_PATTERN.fullmatch(self.recipe):
            raise ManifestError(f"recipe {shown(self.recipe)} is not a recipe name")
        if self.text_fields not in TEXT_FIELDS:
            raise ManifestError(f"unknown text_fields {shown(self.text_fields)}")
        _check_labels(self.labels, self.thresholds)
        _check_files(self.files, self.sizes)

    @classmethod
    def from_json(cls, text: str | bytes, source: str) -> Manifest:
        """Parse a manifest's JSON; source names where it came from in the error."""
        try:
            data: Any = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            return cls(**data)
        # ValueError: not JSON, not UTF-8, or an integer too long; RecursionError: nested too deep.
        except (ValueError, TypeError, RecursionError, ManifestError) as error:
            raise ManifestError(f"{source} is not a valid manifest: {error}") from error

    @classmethod
    def read(cls, artifact_dir: Path) -> Manifest:
        path = artifact_dir / MANIFEST_NAME
        try:
            text = path.read_bytes()
        except FileNotFoundError as error:
            raise ManifestError(f"no {MANIFEST_NAME} in {artifact_dir}") from error
        return cls.from_json(text, str(path))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    def write(self, artifact_dir: Path) -> Path:
        path = artifact_dir / MANIFEST_NAME
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    def verify_files(self, artifact_dir: Path) -> None:
        """Raise unless the files below artifact_dir are exactly those the manifest lists."""
        actual = hash_tree(artifact_dir)
        actual.pop(MANIFEST_NAME, None)
        if not self.files:
            raise ManifestError("the manifest lists no files")
        missing = sorted(set(self.files) - set(actual))
        unexpected = sorted(set(actual) - set(self.files))
        present = set(self.files) & set(actual)
        changed = sorted(name for name in present if self.files[name] != actual[name])
        sizes = file_sizes(artifact_dir, present) if self.sizes else {}
        resized = sorted(name for name in sizes if sizes[name] != self.sizes[name])
        if missing or unexpected or changed or resized:
            raise ManifestError(
                f"artifact in {artifact_dir} does not match its manifest: "
                f"missing={missing} unexpected={unexpected} sha256 mismatch={changed}"
                + (f" size mismatch={resized}" if resized else "")
            )
