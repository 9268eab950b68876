"""The archive an artifact travels as: manifest.json first, then every file it lists.

Unpacking trusts nothing in an archive but what its manifest lists. It reads manifest.json first,
then writes only the regular files (and the folders above them) that the manifest names, each
opened new (O_EXCL) without following links (O_NOFOLLOW), capped at its listed size and checked
against its sha256 as it is written. Links of any kind, unlisted members and paths outside the
destination are refused, and a refusal removes everything unpacking wrote. tarfile.extractall is
never used: its filter="data" is only as safe as the Python patch release under it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import shutil
import stat
import tarfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

from genre_model.manifest import MANIFEST_NAME, Manifest, ManifestError, shown
from genre_training.errors import StepError

# Far above any model here (the lg recipe's vectors are a few hundred MB): a ceiling for what an
# archive downloads and unpacks to, not a budget.
MAX_ARCHIVE_BYTES = 2 << 30
MAX_UNPACKED_BYTES = 4 << 30
# manifest.json and golden.json are read into memory.
MAX_JSON_BYTES = 1 << 20
# Reads are at most this large; tarfile reads a pax or long-name header whole, so no header
# larger than this is ever held in memory.
_CHUNK = 1 << 20
_REGULAR_TYPES = (tarfile.REGTYPE, tarfile.AREGTYPE)
_KINDS = {
    tarfile.DIRTYPE: "folder",
    tarfile.SYMTYPE: "symbolic link",
    tarfile.LNKTYPE: "hard link",
    tarfile.CHRTYPE: "character device",
    tarfile.BLKTYPE: "block device",
    tarfile.FIFOTYPE: "fifo",
    tarfile.GNUTYPE_SPARSE: "sparse file",
}
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


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


def copy_capped(source: IO[bytes], sink: IO[bytes], limit: int, what: str) -> str:
    """Copy source to sink, hashing on the way; its sha256. Stops with an ArchiveError as soon as
    source holds more than limit bytes."""
    digest = hashlib.sha256()
    copied = 0
    while chunk := source.read(min(_CHUNK, limit - copied + 1)):
        copied += len(chunk)
        if copied > limit:
            raise ArchiveError(f"{what} is larger than {limit} bytes")
        digest.update(chunk)
        sink.write(chunk)
    return digest.hexdigest()


class _Bounded:
    """The decompressed tar stream, as tarfile reads it: no more than limit bytes in all, and no
    single read larger than _CHUNK."""

    def __init__(self, stream: gzip.GzipFile, limit: int) -> None:
        self._stream = stream
        self._limit = limit

    def read(self, size: int = -1) -> bytes:
        if not 0 <= size <= _CHUNK:
            raise ArchiveError(f"a tar header or read of {size} bytes (at most {_CHUNK})")
        data = self._stream.read(size)
        self._check(self._stream.tell())
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self._check(offset)
        return self._check(self._stream.seek(offset, whence))

    def tell(self) -> int:
        return self._stream.tell()

    def _check(self, position: int) -> int:
        if position > self._limit:
            raise ArchiveError(f"it unpacks to more than {self._limit} bytes")
        return position


@contextmanager
def _open(archive: Path) -> Iterator[tarfile.TarFile]:
    # typeshed wants a writable file object even for reading; _Bounded only reads and seeks.
    with (
        gzip.open(archive, "rb") as unzipped,
        tarfile.open(fileobj=_Bounded(unzipped, MAX_UNPACKED_BYTES), mode="r:") as tar,  # type: ignore[call-overload]
    ):
        yield tar


# What reading a damaged or hostile archive raises, besides ArchiveError and ManifestError.
_READ_ERRORS = (tarfile.TarError, OSError, EOFError, zlib.error)


def _read_small(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    if member.type not in _REGULAR_TYPES:
        raise ArchiveError(f"its {member.name} is a {_kind(member)}, not a regular file")
    source = tar.extractfile(member)
    assert source is not None  # a regular file always has a reader
    buffer = io.BytesIO()
    copy_capped(source, buffer, MAX_JSON_BYTES, member.name)
    return buffer.getvalue()


def _first_manifest(tar: tarfile.TarFile, source: str) -> tuple[Manifest, bytes]:
    """The manifest, which must be the archive's first member, and its bytes."""
    member = tar.next()
    if member is None or _normalised(member.name) != MANIFEST_NAME:
        first = "nothing" if member is None else shown(member.name)
        raise ArchiveError(f"its first member is {first}, not {MANIFEST_NAME}")
    data = _read_small(tar, member)
    return Manifest.from_json(data, f"{source}:{MANIFEST_NAME}"), data


def read_archive_manifest(archive: Path) -> Manifest:
    try:
        with _open(archive) as tar:
            return _first_manifest(tar, str(archive))[0]
    except (ArchiveError, ManifestError, *_READ_ERRORS) as error:
        raise ArchiveError(f"{archive} is not a model archive: {error}") from error


def read_archive_member(archive: Path, name: str) -> bytes | None:
    """One regular file of the archive (at most MAX_JSON_BYTES), or None when it has none of
    that name."""
    try:
        with _open(archive) as tar:
            while (member := tar.next()) is not None:
                if _normalised(member.name) == name:
                    return _read_small(tar, member)
            return None
    except (ArchiveError, *_READ_ERRORS) as error:
        raise ArchiveError(f"{archive} is not a model archive: {error}") from error


def unpack_verified(archive: Path, target: Path) -> Manifest:
    """Create target and unpack into it what the archive's manifest lists, and nothing else;
    every file checked against its size and sha256 as it is written. On any refusal, target is
    removed and nothing else was ever written."""
    try:
        target.mkdir()
    except OSError as error:
        raise ArchiveError(f"refusing {archive.name}: cannot create {target}: {error}") from error
    try:
        with _open(archive) as tar:
            manifest, data = _first_manifest(tar, archive.name)
            _write_new(target, MANIFEST_NAME, io.BytesIO(data), len(data))
            _unpack_listed(tar, manifest, target)
    except (ArchiveError, ManifestError, *_READ_ERRORS) as error:
        shutil.rmtree(target, ignore_errors=True)
        raise ArchiveError(f"refusing {archive.name}: {error}") from error
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return manifest


def _unpack_listed(tar: tarfile.TarFile, manifest: Manifest, target: Path) -> None:
    if not manifest.files:
        raise ArchiveError("its manifest lists no files")
    folders = {
        parent.as_posix() for name in manifest.files for parent in PurePosixPath(name).parents
    }
    written: set[str] = set()
    while (member := tar.next()) is not None:
        name = _normalised(member.name)
        if member.isdir() and name in folders:
            continue  # the folders above listed files are made as those files are written
        if member.type not in _REGULAR_TYPES:
            raise ArchiveError(
                f"{shown(name)} is a {_kind(member)}; only listed files are unpacked"
            )
        if name not in manifest.files or name in written:
            raise ArchiveError(f"{shown(name)} is not listed in its manifest (or comes twice)")
        size = manifest.sizes.get(name, member.size)
        if member.size != size:
            raise ArchiveError(f"{name} is {member.size} bytes; its manifest says {size}")
        if member.offset_data + member.size > MAX_UNPACKED_BYTES:
            raise ArchiveError(f"it unpacks to more than {MAX_UNPACKED_BYTES} bytes")
        source = tar.extractfile(member)
        assert source is not None  # a regular file always has a reader
        digest = _write_new(target, name, source, size)
        if digest != manifest.files[name]:
            raise ArchiveError(f"{name} does not match its manifest (sha256 {digest})")
        written.add(name)
    missing = sorted(set(manifest.files) - written)
    if missing:
        raise ArchiveError(f"the archive does not match its manifest: missing={missing}")


def _normalised(name: str) -> str:
    """A member's name as the manifest would list it; refuses any that leaves the destination."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise ArchiveError(f"{shown(name)} points outside the destination")
    return path.as_posix()


def _kind(member: tarfile.TarInfo) -> str:
    return _KINDS.get(member.type, f"member of type {member.type!r}")


def _write_new(target: Path, name: str, source: IO[bytes], limit: int) -> str:
    """Write a file that did not exist, making the folders above it; its sha256."""
    path = target
    for part in PurePosixPath(name).parent.parts:
        path = path / part
        try:
            path.mkdir()
        except FileExistsError:
            if not stat.S_ISDIR(path.lstat().st_mode):
                raise ArchiveError(f"{name}: {path.relative_to(target)} is not a folder") from None
    descriptor = os.open(target / name, _NEW_FILE, 0o644)
    with os.fdopen(descriptor, "wb") as sink:
        return copy_capped(source, sink, limit, name)
