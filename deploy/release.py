"""A release: what an environment deployed and smoke-tested, for the next one to deploy unchanged.

    python deploy/release.py record  --env dev --out release [--bucket B --prefix P]
        after dev's deploy and smoke test: release/release.json (the model version, its
        archive's sha256, the image's id and the digest Lambda runs, the sha256 of every file),
        release/image.tar (docker save) and release/build/ (SAM's build: template and hook)
    python deploy/release.py restore --release release
        before production's credentials: every sha256 checked, the image loaded and its id
        checked, the build put back in .aws-sam/build for `make deploy` (no rebuild)
    python deploy/release.py check   --env prod --release release
        after production's deploy: its function runs the recorded image (same image id, from
        the digest Lambda resolved) and its stack the recorded model version

The image id is the sha256 of the image's configuration, which names the sha256 of every
layer's content: the same id is the same image. The registry digest of production's copy is
printed beside dev's; it is the same when docker pushes the layers as it did for dev.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from environments import BUILD_DIR, built_model_version, environment, stack_outputs

from genre_model.manifest import ARCHIVE_NAME, hash_tree, sha256_file
from genre_training.location import DEFAULT_PREFIX, S3Location

RECORD = "release.json"
IMAGE_TAR = "image.tar"
BUILT = "build"
IMAGE_URI = re.compile(r"^\s*ImageUri:\s*(\S+)\s*$", re.MULTILINE)
Docker = Callable[..., str]


class ReleaseError(SystemExit):
    """One line saying what does not match; exits with status 1."""


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], check=True, capture_output=True, text=True).stdout


def built_image(build_dir: Path) -> str:
    """The local image `sam build` tagged for the API's function (its built template's ImageUri)."""
    (image,) = IMAGE_URI.findall((build_dir / "template.yaml").read_text())
    return str(image)


def live_image(session: Any, stack: str) -> str:
    """The image Lambda resolved for the live alias: <repository uri>@sha256:<digest>."""
    function = stack_outputs(session.client("cloudformation"), stack)["GenreFunctionArn"]
    code = session.client("lambda").get_function(FunctionName=function, Qualifier="live")["Code"]
    return str(code["ResolvedImageUri"])


def archive_sha256(session: Any, bucket: str, prefix: str, version: str) -> str:
    """The sha256 `publish` stored with the archive (the registry keeps it write-once); `pull`
    refused the archive unless it matched latest.json or this."""
    key = S3Location(bucket, prefix).key(version, ARCHIVE_NAME)
    return str(session.client("s3").head_object(Bucket=bucket, Key=key)["Metadata"]["sha256"])


def record(
    env_name: str, out: Path, bucket: str, prefix: str, *, session: Any, run: Docker = docker
) -> dict[str, Any]:
    env = environment(env_name)
    version = built_model_version(BUILD_DIR)
    image = built_image(BUILD_DIR)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(BUILD_DIR, out / BUILT)
    run("image", "save", "--output", str(out / IMAGE_TAR), image)
    release = {
        "environment": env.name,
        "model_version": version,
        "archive_sha256": archive_sha256(session, bucket, prefix, version),
        "image": image,
        "image_id": run("image", "inspect", "--format", "{{.Id}}", image).strip(),
        "deployed_image": live_image(session, env.stack),
        "files": {IMAGE_TAR: sha256_file(out / IMAGE_TAR), **prefixed(hash_tree(out / BUILT))},
    }
    (out / RECORD).write_text(json.dumps(release, indent=2) + "\n")
    return release


def prefixed(hashes: dict[str, str]) -> dict[str, str]:
    return {f"{BUILT}/{name}": digest for name, digest in hashes.items()}


def restore(
    release_dir: Path, *, run: Docker = docker, build_dir: Path = BUILD_DIR
) -> dict[str, Any]:
    release: dict[str, Any] = json.loads((release_dir / RECORD).read_text())
    actual = {IMAGE_TAR: sha256_file(release_dir / IMAGE_TAR)}
    actual.update(prefixed(hash_tree(release_dir / BUILT)))
    if actual != release["files"]:
        changed = sorted(set(actual.items()) ^ set(release["files"].items()))
        raise ReleaseError(f"the release's files differ from its record: {changed[:5]}")
    run("image", "load", "--input", str(release_dir / IMAGE_TAR))
    loaded = run("image", "inspect", "--format", "{{.Id}}", release["image"]).strip()
    if loaded != release["image_id"]:
        raise ReleaseError(f"{release['image']} loaded as {loaded}, not {release['image_id']}")
    shutil.rmtree(build_dir, ignore_errors=True)
    shutil.copytree(release_dir / BUILT, build_dir)
    if built_model_version(build_dir) != release["model_version"]:
        raise ReleaseError("the release's build holds another model than its record")
    return release


def check(env_name: str, release_dir: Path, *, session: Any) -> str:
    """Production runs the recorded image and model; returns what it runs."""
    env = environment(env_name)
    release = json.loads((release_dir / RECORD).read_text())
    deployed = live_image(session, env.stack)
    repository_uri, digest = deployed.split("@", 1)
    repository = repository_uri.split("/", 1)[1]
    (image,) = session.client("ecr").batch_get_image(
        repositoryName=repository, imageIds=[{"imageDigest": digest}]
    )["images"]
    config = json.loads(image["imageManifest"])["config"]["digest"]
    if config != release["image_id"]:
        raise ReleaseError(
            f"{env.stack} runs image {config}, not the release's {release['image_id']}"
        )
    stack = session.client("cloudformation").describe_stacks(StackName=env.stack)["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    if parameters.get("ModelVersion") != release["model_version"]:
        raise ReleaseError(f"{env.stack} has model {parameters.get('ModelVersion')}")
    tested = f"{release['environment']} ran {release['deployed_image']}"
    return f"{env.stack} runs {deployed} (image {config}; {tested})"


def main(argv: list[str] | None = None) -> None:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["record", "restore", "check"])
    parser.add_argument("--env")
    parser.add_argument("--out", "--release", dest="release", type=Path, default=Path("release"))
    parser.add_argument("--bucket", default="")
    parser.add_argument("--prefix", default=DEFAULT_PREFIX)
    args = parser.parse_args(argv)
    if args.what == "restore":
        print(json.dumps(restore(args.release), indent=2))
        return
    session = boto3.Session(region_name=environment(args.env).region)
    if args.what == "record":
        print(json.dumps(record(args.env, args.release, args.bucket, args.prefix, session=session)))
    else:
        print(check(args.env, args.release, session=session))


if __name__ == "__main__":
    main()
