#!/usr/bin/env bash
# Build a Lambda-compatible base image from Debian's packages, for machines that cannot pull
# public.ecr.aws/lambda/python:3.12 (no container registry). The image has Python 3 and venv;
# the runtime layer adds awslambdaric, which speaks the Lambda Runtime API, and `sam local`
# mounts its own Runtime Interface Emulator, so the result runs under `sam local start-api`.
#
#   layers/debian-base/build.sh [IMAGE]      (default movie-genre/debian-lambda-base:bookworm)
set -euo pipefail
image=${1:-movie-genre/debian-lambda-base:bookworm}
if docker image inspect "$image" >/dev/null 2>&1; then
    echo "$image exists"
    exit 0
fi
command -v debootstrap >/dev/null || { echo "needs debootstrap: apt-get install debootstrap" >&2; exit 1; }
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$rootfs" >/dev/null
# pip inside image builds must trust the same certificate authorities as this host.
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import - "$image" >/dev/null
echo "built $image"
