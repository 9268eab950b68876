"""manifest.json: what a model artifact is, how it was made, and the sha256 of every file."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

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


class ManifestError(Exception):
    """The manifest is missing, malformed, or does not match the files beside it."""


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

    def __post_init__(self) -> None:
        if self.text_fields not in TEXT_FIELDS:
            raise ManifestError(f"unknown text_fields {self.text_fields!r}")
        missing = [label for label in self.labels if label not in self.thresholds]
        if not self.labels or missing:
            raise ManifestError(f"labels without a threshold: {missing or 'no labels'}")

    @classmethod
    def from_json(cls, text: str | bytes, source: str) -> Manifest:
        """Parse a manifest's JSON; source names where it came from in the error."""
        try:
            data: Any = json.loads(text)
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            return cls(**data)
        except (json.JSONDecodeError, UnicodeDecodeError, TypeError) as error:
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
        changed = sorted(
            name for name in set(self.files) & set(actual) if self.files[name] != actual[name]
        )
        if missing or unexpected or changed:
            raise ManifestError(
                f"artifact in {artifact_dir} does not match its manifest: "
                f"missing={missing} unexpected={unexpected} sha256 mismatch={changed}"
            )
