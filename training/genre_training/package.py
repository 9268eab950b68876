"""Step 4: a trained pipeline + its evaluation -> artifact directory and one .tar.gz archive."""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import spacy

from genre_model.manifest import MANIFEST_NAME, PIPELINE_DIR, Manifest, hash_tree
from genre_training.evaluate import METRICS_FILE, SPACY_MODEL, headline

ARCHIVE_NAME = "model.tar.gz"


def package(
    model_dir: Path, eval_dir: Path, config: Path, recipe: str, out_dir: Path
) -> tuple[Manifest, Path]:
    """Write out_dir/artifact (pipeline/ + manifest.json) and out_dir/model.tar.gz."""
    results = json.loads((eval_dir / METRICS_FILE).read_text(encoding="utf-8"))
    artifact_dir = out_dir / "artifact"
    if artifact_dir.exists():
        shutil.rmtree(artifact_dir)
    shutil.copytree(model_dir, artifact_dir / PIPELINE_DIR)
    files = hash_tree(artifact_dir)
    content_id = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()[:8]
    created = datetime.now(UTC)
    spacy_model = results["models"][SPACY_MODEL]
    manifest = Manifest(
        version=f"{created:%Y%m%d-%H%M%S}-{content_id}",
        created_at=created.isoformat(timespec="seconds"),
        spacy_version=spacy.__version__,
        recipe=recipe,
        config=config.read_text(encoding="utf-8"),
        labels=results["labels"],
        thresholds=spacy_model["tuned_thresholds"],
        text_fields=results["text_fields"],
        data_sha256=results["data_sha256"],
        split_sizes=results["split_sizes"],
        metrics={
            **headline(results),
            "dev": spacy_model["dev"],
            "test": spacy_model["test"],
        },
        files=files,
    )
    manifest.write(artifact_dir)
    archive = out_dir / ARCHIVE_NAME
    write_archive(artifact_dir, archive)
    return manifest, archive


def write_archive(artifact_dir: Path, archive: Path) -> None:
    """Pack manifest.json first, then every listed file, in a fixed order."""
    manifest = Manifest.read(artifact_dir)
    partial = archive.with_name(archive.name + ".partial")
    with tarfile.open(partial, "w:gz") as tar:
        tar.add(artifact_dir / MANIFEST_NAME, arcname=MANIFEST_NAME)
        for name in sorted(manifest.files):
            tar.add(artifact_dir / name, arcname=name)
    partial.replace(archive)
