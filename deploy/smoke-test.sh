#!/usr/bin/env bash
# Smoke-test an environment's deployed API: Othello is a drama.
#   deploy/smoke-test.sh ENV      (credentials of that environment; signed when the API needs it)
set -euo pipefail
if [ $# -ne 1 ]; then
    echo "usage: deploy/smoke-test.sh ENV   (an environment of samconfig.toml: dev or prod)" >&2
    exit 2
fi
cd "$(dirname "$0")/.."
stack=$(.venv/bin/python deploy/environments.py stack "$1")
region=$(.venv/bin/python deploy/environments.py region "$1")
description="The evil Iago pretends to be friend of Othello in order to manipulate him to serve \
his own end in the film version of this Shakespeare classic."
answer=$(.venv/bin/movie_classifier --stack "$stack" --region "$region" --json \
    --title Othello --description "$description")
echo "$answer"
genre=$(.venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["genre"])' <<<"$answer")
test "$genre" = Drama || { echo "$stack answered $genre for Othello, not Drama" >&2; exit 1; }
