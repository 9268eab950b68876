#!/usr/bin/env bash
# The deploy tools from hashed locks, for a machine that will then hold AWS credentials (the
# deploy workflow runs it before its credentials step). Every package is pinned with its
# sha256: nothing unpinned is fetched.
#   .venv      boto3, the project (CLI, pull, deploy scripts), spaCy (pull's golden check)
#   .venv/sam  SAM CLI, in a venv of its own (it pins click, pydantic and boto3 tightly)
# The stamp tells make that deploy's install is done (the Makefile's $(VENV)/.installed-aws).
set -euo pipefail
cd "$(dirname "$0")/.."
pip_install() { "$1/bin/python" -m pip install -q --disable-pip-version-check "${@:2}"; }
python3 -m venv .venv
pip_install .venv --require-hashes --no-deps -r deploy/requirements.lock
pip_install .venv --no-deps --no-build-isolation -e .
touch .venv/.installed-aws
python3 -m venv .venv/sam
pip_install .venv/sam --require-hashes --no-deps -r deploy/requirements-sam.lock
ln -sf ../sam/bin/sam .venv/bin/sam
