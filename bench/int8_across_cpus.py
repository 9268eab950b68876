"""Does an int8 transformer model score its golden set alike on another kind of x86 CPU?

    .venv/bin/python bench/int8_across_cpus.py [--artifact build/artifact] [--cpu Haswell]

Scores the golden movies with the artifact's ONNX component (the serving code) here, then
again in the same Python under `qemu-x86_64 -cpu Haswell` (an emulated AVX2-only CPU, as on AMD
Lambda hosts, where onnxruntime takes other int8 kernels than on a CPU with AVX-512 VNNI), and
prints the largest difference beside the golden set's tolerance, which the function's init
check applies. Needs qemu-user (`apt-get install qemu-user`); emulation is slow: minutes for 32
movies.

The transformer's own scores are compared, without the blended bag-of-words part (plain float
arithmetic, no int8 kernels).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from confection import Config

from genre_model.classifier import GoldenSet, read_golden
from genre_model.manifest import PIPELINE_DIR, Manifest
from genre_model.text import compose_text
from genre_training.onnx_pipeline import ComponentConfig, assemble_pipeline
from genre_training.pipelines import COMPONENT, score_pipeline


def golden_set(artifact: Path) -> GoldenSet:
    golden = read_golden(artifact)
    if golden is None:
        sys.exit(f"{artifact} has no golden set")
    return golden


def score(artifact: Path, out: Path) -> None:
    """The served component's own scores of the golden movies (its bag-of-words blend left
    out), into out."""
    manifest = Manifest.read(artifact)
    pipeline = Config().from_disk(artifact / PIPELINE_DIR / "config.cfg", interpolate=False)
    served = pipeline["components"][COMPONENT]
    alone = ComponentConfig(served["labels"], served["max_tokens"], 0.0, served["threads"])
    nlp = assemble_pipeline(artifact / PIPELINE_DIR / COMPONENT, alone)
    movies = golden_set(artifact).movies
    texts = [compose_text(m.title, m.description, manifest.text_fields) for m in movies]
    np.save(out, score_pipeline(nlp, alone.labels, texts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifact", type=Path, default=Path("build/artifact"))
    parser.add_argument("--cpu", default="Haswell", help="a qemu CPU model without AVX-512")
    parser.add_argument("--score-into", type=Path, help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args()
    if args.score_into:
        score(args.artifact, args.score_into)
        return
    qemu = shutil.which("qemu-x86_64")
    if qemu is None:
        sys.exit("needs qemu-user: apt-get install qemu-user")
    manifest = Manifest.read(args.artifact)
    golden = golden_set(args.artifact)
    with tempfile.TemporaryDirectory() as scratch:
        here, there = Path(scratch) / "here.npy", Path(scratch) / "there.npy"
        command = [sys.executable, __file__, "--artifact", str(args.artifact), "--score-into"]
        subprocess.run([*command, str(here)], check=True)
        subprocess.run([qemu, "-cpu", args.cpu, *command, str(there)], check=True)
        difference = np.abs(np.load(here) - np.load(there))
    print(
        f"{len(golden.movies)} golden movies, model {manifest.version}: largest score "
        f"difference between this CPU and an emulated {args.cpu} {difference.max():.2g} "
        f"(mean {difference.mean():.2g}); the golden set's tolerance "
        f"{golden.tolerance:g}"
    )


if __name__ == "__main__":
    main()
