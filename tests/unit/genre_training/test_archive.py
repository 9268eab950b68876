"""Unpacking a model archive by its manifest: hostile archives, built here, are refused whole."""

import io
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest

from genre_model import Manifest
from genre_training import archive as archive_module
from genre_training.archive import (
    ArchiveError,
    copy_capped,
    read_archive_manifest,
    unpack_verified,
    write_archive,
)
from tests.helpers.archives import (
    HOSTILE,
    LISTED,
    Builder,
    Zeros,
    add_file,
    add_link,
    build,
    build_hostile,
    manifest_json,
    symlink_chain,
    tree,
)


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """Three folders below tmp_path, so that an escape three levels up still lands in it."""
    (tmp_path / "a" / "b" / "c").mkdir(parents=True)
    return tmp_path / "a" / "b" / "c" / "target"


def refuse(archive: Path, target: Path, root: Path, complaint: str) -> None:
    """Unpacking archive is refused, and leaves root (the test's folder) as it found it."""
    before = tree(root)
    with pytest.raises(ArchiveError, match=complaint):
        unpack_verified(archive, target)
    assert tree(root) == before
    assert not target.exists()


def test_an_archive_unpacks_to_the_artifact_it_was_packed_from(
    packaged: dict[str, Path], tmp_path: Path
) -> None:
    manifest = unpack_verified(packaged["archive"], tmp_path / "out")
    assert manifest == Manifest.read(packaged["artifact"])
    manifest.verify_files(tmp_path / "out")
    assert tree(tmp_path / "out") == tree(packaged["artifact"])


def test_sizes_in_the_manifest_are_honoured(tmp_path: Path) -> None:
    manifest = unpack_verified(build(tmp_path / "model.tar.gz"), tmp_path / "out")
    assert manifest.sizes == {name: len(data) for name, data in LISTED.items()}
    assert (tmp_path / "out" / "pipeline" / "meta.json").read_bytes() == LISTED[
        "pipeline/meta.json"
    ]


@pytest.mark.parametrize(("kind", "complaint"), HOSTILE.items(), ids=list(HOSTILE))
def test_hostile_archives_are_refused_writing_nothing_anywhere(
    kind: str, complaint: str, target: Path, tmp_path: Path
) -> None:
    refuse(build_hostile(kind, tmp_path / "model.tar.gz", target), target, tmp_path, complaint)


def links_first(kind: str, outside: Path, destination: Path) -> Builder:
    """Right after the manifest, before any listed file: a link at a listed name that points
    at outside/victim, or the symlink chain with a link as its first member."""
    if kind == "symbolic link":
        return lambda tar: add_link(tar, "pipeline/meta.json", str(outside / "victim"))
    if kind == "hard link":
        return lambda tar: add_link(
            tar, "pipeline/meta.json", str(outside / "victim"), tarfile.LNKTYPE
        )
    return symlink_chain(destination, links_first=True)


@pytest.mark.parametrize(
    ("kind", "complaint"),
    [
        ("symbolic link", "'pipeline/meta.json' is a symbolic link"),
        ("hard link", "'pipeline/meta.json' is a hard link"),
        ("symlink chain", "'a' is a symbolic link"),
    ],
)
def test_an_archive_whose_link_comes_first_is_refused_at_the_link(
    kind: str, complaint: str, target: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_bytes(b"not the archive's")
    first = links_first(kind, outside, target)
    refuse(build(tmp_path / "model.tar.gz", first=first), target, tmp_path, complaint)
    assert (outside / "victim").read_bytes() == b"not the archive's"


@pytest.mark.parametrize("planted", ["symbolic link", "hard link"])
def test_a_link_planted_where_a_listed_file_goes_is_not_written_through(
    planted: str, target: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No member makes a link, so only another process can put one in the new target while
    unpacking runs: here, just before each listed file is written. The file is opened new
    (O_EXCL) and without following a link (O_NOFOLLOW): the refusal names the file, the link's
    target outside keeps its content, and the target is removed."""
    victim = tmp_path / "victim"
    victim.write_bytes(b"not the archive's")
    extractfile = tarfile.TarFile.extractfile

    def plant_then_extract(tar: tarfile.TarFile, member: tarfile.TarInfo) -> Any:
        path = target / member.name
        if member.name in LISTED:  # manifest.json is read before it is written
            path.parent.mkdir(parents=True, exist_ok=True)
            if planted == "symbolic link":
                path.symlink_to(victim)
            else:
                os.link(victim, path)
        return extractfile(tar, member)

    monkeypatch.setattr(tarfile.TarFile, "extractfile", plant_then_extract)
    with pytest.raises(ArchiveError, match=r"File exists: '.*/pipeline/meta\.json'"):
        unpack_verified(build(tmp_path / "model.tar.gz"), target)
    assert victim.read_bytes() == b"not the archive's"
    assert not target.exists()


def test_a_hard_link_is_refused_even_to_a_listed_file_of_the_same_content(
    target: Path, tmp_path: Path
) -> None:
    files = {"pipeline/a.bin": b"same", "pipeline/b.bin": b"same"}

    def hard_link(tar: tarfile.TarFile) -> None:
        add_link(tar, "pipeline/b.bin", "pipeline/a.bin", tarfile.LNKTYPE)

    path = tmp_path / "model.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        add_file(tar, "manifest.json", manifest_json(files))
        add_file(tar, "pipeline/a.bin", b"same")
        hard_link(tar)
    refuse(path, target, tmp_path, "'pipeline/b.bin' is a hard link")


def test_a_listed_file_larger_than_its_manifest_says_is_refused_before_it_is_written(
    target: Path, tmp_path: Path
) -> None:
    small = {"pipeline/model": b"12345"}
    path = tmp_path / "model.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        add_file(tar, "manifest.json", manifest_json(small))
        info = tarfile.TarInfo("pipeline/model")
        info.size = 5 * 10**6
        tar.addfile(info, Zeros(info.size))
    refuse(path, target, tmp_path, "pipeline/model is 5000000 bytes; its manifest says 5")


def test_a_listed_file_whose_content_differs_is_refused(target: Path, tmp_path: Path) -> None:
    forged = {**LISTED, "golden.json": b'{"movies": [1]}'}
    path = build(tmp_path / "model.tar.gz", files=forged, manifest=manifest_json(LISTED, False))
    refuse(path, target, tmp_path, "golden.json does not match its manifest")


@pytest.mark.parametrize(
    ("members", "complaint"),
    [
        (["pipeline/meta.json", "manifest.json", "golden.json"], "first member is"),
        (["manifest.json", "pipeline/meta.json"], r"missing=\['golden.json'\]"),
        (["manifest.json", "pipeline/meta.json", "pipeline/meta.json"], "comes twice"),
        (["manifest.json", "golden.json", "/tmp/planted"], "'/tmp/planted' points outside"),
        (["manifest.json", "golden.json", "manifest.json"], "comes twice"),
    ],
)
def test_members_out_of_order_missing_twice_or_absolute_are_refused(
    members: list[str], complaint: str, target: Path, tmp_path: Path
) -> None:
    contents = {**LISTED, "manifest.json": manifest_json(LISTED), "/tmp/planted": b"x"}
    path = tmp_path / "model.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name in members:
            add_file(tar, name, contents[name])
    refuse(path, target, tmp_path, complaint)


def test_a_folder_the_manifest_does_not_imply_is_refused(target: Path, tmp_path: Path) -> None:
    def folder(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("pipeline/extra")
        info.type = tarfile.DIRTYPE
        tar.addfile(info)

    refuse(build(tmp_path / "model.tar.gz", folder), target, tmp_path, "'pipeline/extra' is a")


def test_a_header_too_large_to_hold_in_memory_is_refused(target: Path, tmp_path: Path) -> None:
    """tarfile reads a pax header whole: unpacking never lets it read more than 1 MiB at once."""

    def pax(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("pipeline/extra")
        info.pax_headers = {"comment": "x" * (2 << 20)}
        tar.addfile(info, io.BytesIO())

    refuse(build(tmp_path / "model.tar.gz", pax), target, tmp_path, "a tar header or read of")


def test_an_archive_that_unpacks_past_the_cap_is_refused(
    target: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_module, "MAX_UNPACKED_BYTES", 2048)
    refuse(build(tmp_path / "model.tar.gz"), target, tmp_path, "unpacks to more than 2048 bytes")


def test_garbage_is_refused_and_an_existing_target_is_left_alone(tmp_path: Path) -> None:
    garbage = tmp_path / "model.tar.gz"
    garbage.write_bytes(b"\x1f\x8b not really gzip")
    refuse(garbage, tmp_path / "out", tmp_path, "refusing model.tar.gz")
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "keep").write_text("mine")
    with pytest.raises(ArchiveError, match="cannot create"):
        unpack_verified(build(tmp_path / "good.tar.gz"), existing)
    assert (existing / "keep").read_text() == "mine"


def test_copy_capped_stops_reading_at_the_cap() -> None:
    source = Zeros(10**9)
    with pytest.raises(ArchiveError, match="download is larger than 1000 bytes"):
        copy_capped(source, io.BytesIO(), 1000, "download")
    assert source.left >= 10**9 - 1001  # read no further than one byte past the cap
    exact = io.BytesIO()
    copy_capped(io.BytesIO(b"x" * 1000), exact, 1000, "download")
    assert exact.getvalue() == b"x" * 1000


def test_the_manifest_must_come_first_for_publishing_too(
    packaged: dict[str, Path], tmp_path: Path
) -> None:
    assert read_archive_manifest(packaged["archive"]) == Manifest.read(packaged["artifact"])
    path = tmp_path / "model.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        add_file(tar, "golden.json", b"{}")
        add_file(tar, "manifest.json", manifest_json(LISTED))
    with pytest.raises(ArchiveError, match=r"first member is 'golden\.json', not manifest\.json"):
        read_archive_manifest(path)


def test_write_archive_refuses_an_artifact_that_does_not_match_its_manifest(
    artifact_copy: Path, tmp_path: Path
) -> None:
    (artifact_copy / "golden.json").write_text("{}")
    with pytest.raises(ArchiveError, match="not a complete model artifact"):
        write_archive(artifact_copy, tmp_path / "model.tar.gz")
    assert list(tmp_path.iterdir()) == [artifact_copy]
