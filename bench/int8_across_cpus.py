"""Does an int8 transformer model score its golden set alike on another kind of x86 CPU?

    .venv/bin/python bench/int8_across_cpus.py [--artifact build/artifact] [--cpu Haswell]

Scores the golden movies with the artifact's ONNX model here, then again in the same Python
under `qemu-x86_64 -cpu Haswell` (an emulated AVX2-only CPU, as on AMD Lambda hosts, where
onnxruntime takes other int8 kernels than on a CPU with AVX-512 VNNI), and prints the largest
difference beside the golden set's tolerance, which the function's init check applies. Needs
qemu-user (`apt-get install qemu-user`); emulation is slow: minutes for 32 movies.

The transformer's own scores are compared (a blended bag-of-words part is float arithmetic and
does not depend on the CPU kind).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from confection import Config

from genre_model.manifest import GOLDEN_NAME, PIPELINE_DIR
from genre_model.onnx_textcat import MODEL_FILE, TOKENIZER_FILE
from genre_model.text import TextFields, compose_text

COMPONENT = "textcat_multilabel"


def score(artifact: Path, max_tokens: int, text_fields: TextFields, out: Path) -> None:
    """The ONNX model's scores of the golden movies, one at a time, one thread, into out."""
    import onnxruntime
    from tokenizers import Tokenizer

    component = artifact / PIPELINE_DIR / COMPONENT
    tokenizer = Tokenizer.from_file(str(component / TOKENIZER_FILE))
    tokenizer.enable_truncation(max_length=max_tokens)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    session = onnxruntime.InferenceSession(
        str(component / MODEL_FILE), options, providers=["CPUExecutionProvider"]
    )
    movies = json.loads((artifact / GOLDEN_NAME).read_text(encoding="utf-8"))["movies"]
    rows = []
    for movie in movies:
        text = compose_text(movie["title"], movie["description"], text_fields)
        encoding = tokenizer.encode(text)
        feed = {
            "input_ids": np.array([encoding.ids], dtype=np.int64),
            "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
        }
        rows.append(session.run(None, feed)[0][0])
    np.save(out, np.array(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--artifact", type=Path, default=Path("build/artifact"))
    parser.add_argument("--cpu", default="Haswell", help="a qemu CPU model without AVX-512")
    parser.add_argument("--score-into", type=Path, help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args()
    manifest = json.loads((args.artifact / "manifest.json").read_text(encoding="utf-8"))
    pipeline = Config().from_disk(args.artifact / PIPELINE_DIR / "config.cfg", interpolate=False)
    max_tokens = int(pipeline["components"][COMPONENT]["max_tokens"])
    if args.score_into:
        score(args.artifact, max_tokens, manifest["text_fields"], args.score_into)
        return
    qemu = shutil.which("qemu-x86_64")
    if qemu is None:
        sys.exit("needs qemu-user: apt-get install qemu-user")
    golden = json.loads((args.artifact / GOLDEN_NAME).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as scratch:
        here, there = Path(scratch) / "here.npy", Path(scratch) / "there.npy"
        command = [sys.executable, __file__, "--artifact", str(args.artifact), "--score-into"]
        subprocess.run([*command, str(here)], check=True)
        subprocess.run([qemu, "-cpu", args.cpu, *command, str(there)], check=True)
        difference = np.abs(np.load(here) - np.load(there))
    print(
        f"{len(golden['movies'])} golden movies, model {manifest['version']}: largest score "
        f"difference between this CPU and an emulated {args.cpu} {difference.max():.2g} "
        f"(mean {difference.mean():.2g}); the golden set's tolerance "
        f"{golden.get('tolerance', 1e-4):g}"
    )


if __name__ == "__main__":
    main()
