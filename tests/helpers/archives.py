"""Model archives built in the test, hostile ones among them: what unpacking and pull must refuse.

Each archive holds a manifest first, then the files it lists (as write_archive packs them), then
whatever a builder adds. Nothing here is read from disk but what the test itself wrote.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

VERSION = "20260101-000000-0123abcd"
# A version that, passed on to SAM's --parameter-overrides, would switch authentication off.
OVERRIDE = "X AuthMode=NONE CorsAllowedOrigins=*"
# A tiny artifact: what the manifest lists.
LISTED = {"pipeline/meta.json": b'{"lang": "en"}', "golden.json": b'{"movies": []}'}
PATH_MAX = 4096

Builder = Callable[[tarfile.TarFile], None]


def manifest_json(files: Mapping[str, bytes], sizes: bool = True, **fields: Any) -> bytes:
    """A manifest of files as package writes it; fields replace its values, unchecked."""
    manifest = {
        "version": VERSION,
        "created_at": "2026-01-01T00:00:00+00:00",
        "spacy_version": "3.8.0",
        "recipe": "offline",
        "config": "[nlp]",
        "labels": ["Comedy", "Drama"],
        "thresholds": {"Comedy": 0.5, "Drama": 0.5},
        "text_fields": "title+description",
        "data_sha256": "0" * 64,
        "split_sizes": {"train": 8, "dev": 1, "test": 2},
        "metrics": {},
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
    }
    if sizes:  # manifests written before sizes were recorded have no such key
        manifest["sizes"] = {name: len(data) for name, data in files.items()}
    return json.dumps({**manifest, **fields}, indent=1).encode()


def add_file(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def add_link(tar: tarfile.TarFile, name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> None:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    tar.addfile(info)


def build(
    path: Path,
    extra: Builder | None = None,
    files: Mapping[str, bytes] = LISTED,
    manifest: bytes | None = None,
    first: Builder | None = None,
) -> Path:
    """manifest.json, then what first adds, then files, then what extra adds."""
    with tarfile.open(path, "w:gz") as tar:
        add_file(tar, "manifest.json", manifest or manifest_json(files))
        if first is not None:
            first(tar)
        for name, data in files.items():
            add_file(tar, name, data)
        if extra is not None:
            extra(tar)
    return path


class Zeros:
    """size zero bytes, read in chunks: a member of hundreds of MB that is never in memory."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        self.left -= size
        return bytes(size)


def big_unlisted_member(size: int = 300 * 10**6) -> Builder:
    """An unlisted file of size zeros (300 MB compress to about 300 KB)."""

    def extra(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("pipeline/padding.bin")
        info.size = size
        tar.addfile(info, Zeros(size))

    return extra


def symlink_chain(destination: Path, levels_up: int = 3, links_first: bool = False) -> Builder:
    """CVE-2025-4517: symlinks whose expansion passes PATH_MAX, so that os.path.realpath stops
    resolving and tarfile's data filter sees a path inside the destination, while the kernel
    follows the links to levels_up folders above it and writes escape/planted there.
    links_first: each step's link before its folder, so that the chain's first member is a link."""
    steps = "abcdefghijklmnop"
    component = "d" * ((PATH_MAX - len(str(destination)) - 1) // (len(steps) + 1))

    def extra(tar: tarfile.TarFile) -> None:
        path = ""
        for step in steps:
            folder = tarfile.TarInfo(os.path.join(path, component))
            folder.type = tarfile.DIRTYPE
            folder.mode = 0o777
            if links_first:
                add_link(tar, os.path.join(path, step), component)
            tar.addfile(folder)
            if not links_first:
                add_link(tar, os.path.join(path, step), component)
            path = os.path.join(path, component)
        # Points back at the destination; realpath gives up before expanding it.
        linkpath = os.path.join(*steps, "l" * 254)
        add_link(tar, linkpath, os.path.join(*[".."] * len(steps)))
        add_link(tar, "escape", os.path.join(linkpath, *[".."] * levels_up))
        add_file(tar, "escape/planted", b"written outside the destination")

    return extra


def dotdot_member(tar: tarfile.TarFile) -> None:
    add_file(tar, "../escaped", b"written beside the destination")


def unlisted_symlink(tar: tarfile.TarFile) -> None:
    """A link that stays inside the tree: tarfile's data filter lets it through."""
    add_link(tar, "pipeline/alias", "meta.json")


def tree(root: Path) -> set[str]:
    """Every path below root, links included and not followed."""
    found = set()
    for folder, folders, names in os.walk(root):
        for name in folders + names:
            found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


# The five hostile archives of issue 18, and what the refusal of each says.
HOSTILE = {
    "symlink chain": r"'d+\.\.\.d+' is a folder; only listed files are unpacked",
    "../ member": r"'\.\./escaped' points outside the destination",
    "unlisted symlink": "'pipeline/alias' is a symbolic link; only listed files are unpacked",
    "300 MB unlisted member": "'pipeline/padding.bin' is not listed in its manifest",
    "version with an override": rf"version '{re.escape(OVERRIDE)}' is not of the form",
}


def build_hostile(kind: str, path: Path, destination: Path) -> Path:
    """One of HOSTILE at path, with a manifest of before sizes were recorded (what the old
    unpacking read); destination: where it will be unpacked (the symlink chain depends on it)."""
    manifest = manifest_json(LISTED, sizes=False)
    if kind == "symlink chain":
        return build(path, symlink_chain(destination), manifest=manifest)
    if kind == "../ member":
        return build(path, dotdot_member, manifest=manifest)
    if kind == "unlisted symlink":
        return build(path, unlisted_symlink, manifest=manifest)
    if kind == "300 MB unlisted member":
        archive = build(path, big_unlisted_member(), manifest=manifest)
        assert archive.stat().st_size < 400_000  # 300 MB in about 300 KB
        return archive
    if kind == "version with an override":
        return build(path, manifest=manifest_json(LISTED, sizes=False, version=OVERRIDE))
    raise ValueError(kind)
