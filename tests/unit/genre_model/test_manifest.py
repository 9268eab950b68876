import json
from dataclasses import replace
from pathlib import Path

import pytest

from genre_model import Manifest, ManifestError
from genre_model.manifest import MANIFEST_NAME, file_sizes, hash_tree


def make_manifest(files: dict[str, str]) -> Manifest:
    return Manifest(
        version="20260101-000000-0123abcd",
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


OVERRIDE = "X AuthMode=NONE CorsAllowedOrigins=*"


def test_read_refuses_a_version_that_carries_a_parameter_override(artifact: Path) -> None:
    """The version reaches SAM's --parameter-overrides, where a later key wins."""
    data = json.loads((artifact / MANIFEST_NAME).read_text())
    (artifact / MANIFEST_NAME).write_text(json.dumps({**data, "version": OVERRIDE}))
    with pytest.raises(ManifestError) as refused:
        Manifest.read(artifact)
    assert str(refused.value) == (
        f"{artifact / MANIFEST_NAME} is not a valid manifest: version {OVERRIDE!r} is not of "
        "the form YYYYMMDD-HHMMSS-<8 hex digits>"
    )


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("version", "v1", "not of the form"),
        ("version", "20260101-000000-0123ABCD", "not of the form"),
        ("version", "20260101-000000-0123abcd\n", "not of the form"),
        ("version", "20260101-000000-0123abcd ModelVersion=x", "not of the form"),
        ("version", "٢٠٢٦٠١٠١-000000-0123abcd", "not of the form"),
        ("created_at", "yesterday", "not a timestamp"),
        ("recipe", "offline; id", "not a recipe name"),
        ("labels", [], "no labels"),
        ("labels", ["Comedy", "Comedy"], "labels repeat"),
        ("labels", ["Comedy", "Drama\n"], "printable names"),
        ("labels", ["Comedy", " Drama"], "printable names"),
        ("labels", ["Comedy", "D" * 65], "printable names"),
        ("labels", ["Comedy", 7], "printable names"),
        ("thresholds", {"Comedy": 0.4}, "without a threshold"),
        ("thresholds", {"Comedy": 0.4, "Drama": 0.5, "Horror": 0.5}, "labels it does not have"),
        ("thresholds", {"Comedy": float("nan"), "Drama": 0.5}, r"numbers in \[0, 1\]"),
        ("thresholds", {"Comedy": float("inf"), "Drama": 0.5}, r"numbers in \[0, 1\]"),
        ("thresholds", {"Comedy": -0.01, "Drama": 0.5}, r"numbers in \[0, 1\]"),
        ("thresholds", {"Comedy": 1.5, "Drama": 0.5}, r"numbers in \[0, 1\]"),
        ("thresholds", {"Comedy": "0.5", "Drama": 0.5}, r"numbers in \[0, 1\]"),
        ("thresholds", {"Comedy": True, "Drama": 0.5}, r"numbers in \[0, 1\]"),
    ],
)
def test_values_that_package_could_not_have_written_are_refused(
    field: str, value: object, complaint: str
) -> None:
    with pytest.raises(ManifestError, match=complaint):
        replace(make_manifest({}), **{field: value})


SHA = "a" * 64


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "/etc/passwd",
        "a//b",
        "./a",
        "a/",
        "a/./b",
        "a/../b",
        "a\\b",
        "a\nb",
        "",
        ".",
        MANIFEST_NAME,
    ],
)
def test_file_names_must_be_relative_normalised_posix_paths(name: str) -> None:
    with pytest.raises(ManifestError, match="relative POSIX paths"):
        make_manifest({name: SHA})


@pytest.mark.parametrize(
    ("files", "sizes", "complaint"),
    [
        ({"a": "not a sha256"}, {}, "without a sha256"),
        ({"a": SHA.upper()}, {}, "without a sha256"),
        ({"a": SHA, "b": SHA}, {"a": 1}, "exactly the files listed"),
        ({"a": SHA}, {"a": -1}, "whole numbers of bytes"),
        ({"a": SHA}, {"a": 1.5}, "whole numbers of bytes"),
        ({"a": SHA}, {"a": True}, "whole numbers of bytes"),
    ],
)
def test_every_file_needs_a_sha256_and_a_sane_size(
    files: dict[str, str], sizes: dict[str, object], complaint: str
) -> None:
    with pytest.raises(ManifestError, match=complaint):
        replace(make_manifest(files), sizes=sizes)


@pytest.mark.parametrize(
    "text", ["[" * 100_000 + "]" * 100_000, '{"version": ' + "9" * 5000 + "}", b"\xff\xfe"]
)
def test_hostile_json_is_a_manifest_error_not_a_crash(text: str | bytes) -> None:
    with pytest.raises(ManifestError, match="not a valid manifest"):
        Manifest.from_json(text, "upload")


def test_sizes_are_recorded_and_verified_and_old_manifests_without_them_still_read(
    artifact: Path,
) -> None:
    manifest = Manifest.read(artifact)
    assert manifest.sizes == {}  # written before sizes were recorded
    manifest.verify_files(artifact)
    sized = replace(manifest, sizes=file_sizes(artifact, manifest.files))
    assert sized.sizes == {"pipeline/model": len(b"weights"), "pipeline/meta.json": 2}
    sized.write(artifact)
    assert Manifest.read(artifact) == sized
    sized.verify_files(artifact)
    replace(sized, sizes={**sized.sizes, "pipeline/model": 8}).write(artifact)
    with pytest.raises(ManifestError, match=r"size mismatch=\['pipeline/model'\]"):
        Manifest.read(artifact).verify_files(artifact)
