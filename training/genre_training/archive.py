"""The archive an artifact travels as: manifest.json first, then every file it lists."""

from __future__ import annotations

import tarfile
from pathlib import Path

from genre_model.manifest import MANIFEST_NAME, Manifest, ManifestError
from genre_training.errors import StepError


class ArchiveError(StepError):
    """Not a model archive, or one whose files do not match its manifest."""


def write_archive(artifact_dir: Path, archive: Path) -> Manifest:
    """Pack a verified artifact directory, in a fixed order; written whole or not at all."""
    try:
        manifest = Manifest.read(artifact_dir)
        manifest.verify_files(artifact_dir)
    except ManifestError as error:
        raise ArchiveError(f"{artifact_dir} is not a complete model artifact: {error}") from error
    partial = archive.with_name(archive.name + ".partial")
    try:
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(artifact_dir / MANIFEST_NAME, arcname=MANIFEST_NAME)
            for name in sorted(manifest.files):
                tar.add(artifact_dir / name, arcname=name)
        partial.replace(archive)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def read_archive_manifest(archive: Path) -> Manifest:
    data = read_archive_member(archive, MANIFEST_NAME)
    if data is None:
        raise ArchiveError(f"{archive} is not a model archive: it has no {MANIFEST_NAME}")
    try:
        return Manifest.from_json(data, f"{archive}:{MANIFEST_NAME}")
    except ManifestError as error:
        raise ArchiveError(f"{archive} is not a model archive: {error}") from error


def read_archive_member(archive: Path, name: str) -> bytes | None:
    """One regular file of the archive, or None when it has none of that name."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            try:
                member = tar.extractfile(name)
            except KeyError:
                return None
            return member.read() if member is not None else None
    except (tarfile.TarError, OSError) as error:
        raise ArchiveError(f"{archive} is not a model archive: {error}") from error


def unpack_verified(archive: Path, target: Path) -> Manifest:
    """Extract regular files only (no links, no paths outside target); verify every sha256."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(target, filter="data")
        manifest = Manifest.read(target)
        manifest.verify_files(target)
    except (tarfile.TarError, OSError, ManifestError) as error:
        raise ArchiveError(f"refusing {archive.name}: {error}") from error
    return manifest
