import json
from dataclasses import replace
from pathlib import Path

import pytest

from genre_model import Manifest, ManifestError
from genre_model.manifest import MANIFEST_NAME, hash_tree


def make_manifest(files: dict[str, str]) -> Manifest:
    return Manifest(
        version="v1",
        created_at="2026-01-01T00:00:00+00:00",
        spacy_version="3.8.18",
        recipe="offline",
        config="[nlp]",
        labels=["Comedy", "Drama"],
        thresholds={"Comedy": 0.4, "Drama": 0.5},
        text_fields="title+description",
        data_sha256="0" * 64,
        split_sizes={"train": 8, "dev": 1, "test": 2},
        metrics={},
        files=files,
    )


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "model").write_bytes(b"weights")
    (tmp_path / "pipeline" / "meta.json").write_text("{}")
    make_manifest(hash_tree(tmp_path)).write(tmp_path)
    return tmp_path


def test_write_then_read_gives_the_same_manifest(artifact: Path) -> None:
    manifest = Manifest.read(artifact)
    assert manifest == make_manifest(manifest.files)
    assert set(manifest.files) == {"pipeline/model", "pipeline/meta.json"}


def test_verify_accepts_untouched_files(artifact: Path) -> None:
    Manifest.read(artifact).verify_files(artifact)


@pytest.mark.parametrize(
    ("damage", "complaint"),
    [
        (lambda root: (root / "pipeline" / "model").write_bytes(b"other"), "sha256 mismatch"),
        (lambda root: (root / "pipeline" / "model").unlink(), "missing=['pipeline/model']"),
        (lambda root: (root / "extra.bin").write_bytes(b"x"), "unexpected=['extra.bin']"),
    ],
)
def test_verify_refuses_changed_missing_or_extra_files(artifact: Path, damage, complaint) -> None:
    manifest = Manifest.read(artifact)
    damage(artifact)
    with pytest.raises(ManifestError, match=complaint.replace("[", r"\[").replace("]", r"\]")):
        manifest.verify_files(artifact)


def test_a_manifest_that_lists_no_files_verifies_nothing_and_is_refused(artifact: Path) -> None:
    with pytest.raises(ManifestError, match="lists no files"):
        replace(Manifest.read(artifact), files={}).verify_files(artifact)


def test_missing_or_malformed_manifest_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"no manifest\.json"):
        Manifest.read(tmp_path)
    (tmp_path / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(ManifestError, match="not a valid manifest"):
        Manifest.read(tmp_path)
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({"version": "v1"}))
    with pytest.raises(ManifestError, match="not a valid manifest"):
        Manifest.read(tmp_path)


def test_every_label_needs_a_threshold() -> None:
    with pytest.raises(ManifestError, match="without a threshold"):
        replace(make_manifest({}), thresholds={"Comedy": 0.4})
