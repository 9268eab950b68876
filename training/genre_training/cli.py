"""movie-genre-train: the training steps, each with explicit inputs and outputs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from genre_model.manifest import ARCHIVE_NAME
from genre_model.text import DEFAULT_TEXT_FIELDS, TEXT_FIELDS
from genre_training.corpus import DEFAULT_DATA, DEFAULT_MIN_GENRE_COUNT, default_data_warning
from genre_training.errors import StepError
from genre_training.feedback import DEFAULT_MAX_PER_CLIENT, OVER_CAP, SUPERSEDED
from genre_training.location import DEFAULT_PREFIX, S3Location
from genre_training.results import headline

Command = TypeVar("Command", bound=Callable[..., Any])
# What `publish` takes when given nothing: the last `make train`, else the shipped default model.
TRAINED_ARCHIVE = Path("build") / ARCHIVE_NAME


# The [training] extra's own packages (pyproject.toml): a step that needs one says what to install.
TRAINING_PACKAGES = frozenset({"pandas", "sklearn", "matplotlib"})


class Steps(click.Group):
    """Every step's failure is one line on stderr and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StepError as error:
            raise click.ClickException(str(error)) from error
        except ModuleNotFoundError as error:
            if (error.name or "").partition(".")[0] not in TRAINING_PACKAGES:
                raise
            raise click.ClickException(
                f"this step needs the training packages ({error.name} is missing): run "
                "`make train`, or pip install '.[training]'"
            ) from error


@click.group(cls=Steps)
def main() -> None:
    """Prepare data, evaluate a trained pipeline, package, publish and pull model artifacts."""


def directory_option(name: str, default: str, help_text: str) -> Callable[[Command], Command]:
    """--NAME DIR: an input or output directory of a step, with its default under build/."""
    return click.option(
        f"--{name}",
        f"{name}_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(default),
        show_default=True,
        help=help_text,
    )


def recipe_config_option(recipe: str) -> Callable[[Command], Command]:
    """--config FILE: a recipe's settings, training/configs/RECIPE.cfg by default."""
    return click.option(
        "--config",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        default=Path("training/configs") / f"{recipe}.cfg",
        show_default=True,
        help=f"The {recipe} recipe's settings.",
    )


model_option = directory_option("model", "build/train/model-best", "The trained spaCy pipeline.")
corpus_option = directory_option("corpus", "build/corpus", "Output of `prepare`.")
# prepare and feedback export take corrections alike.
max_per_client_option = click.option(
    "--max-corrections-per-client",
    "max_per_client",
    type=click.IntRange(min=1),
    default=DEFAULT_MAX_PER_CLIENT,
    show_default=True,
    help="The most corrections taken from one client (its latest movies).",
)


@main.command("prepare")
@click.option(
    "--data",
    type=click.Path(path_type=Path),
    default=DEFAULT_DATA,
    show_default=True,
    help="CSV in the movies_metadata.csv format (title, overview, genres).",
)
@directory_option("out", "build/corpus", "Where the splits are written.")
@click.option(
    "--text-fields",
    type=click.Choice(TEXT_FIELDS),
    default=DEFAULT_TEXT_FIELDS,
    show_default=True,
    help="What the model reads.",
)
@click.option("--description-column", default="overview", show_default=True)
@click.option(
    "--min-genre-count",
    type=click.IntRange(min=1),
    default=DEFAULT_MIN_GENRE_COUNT,
    show_default=True,
    help="Genres with fewer usable movies are not labels.",
)
@click.option(
    "--feedback",
    default=None,
    metavar="SOURCE",
    help="Users' corrections to apply to train: s3://bucket/prefix (boto3's credentials; "
    "AWS_ENDPOINT_URL for an S3-compatible server) or a folder of them (docs/feedback.md).",
)
@click.option(
    "--feedback-reviewed",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    metavar="FILE",
    help="A reviewer's answers (Prodigy JSONL of `feedback export`'s tasks): accepted ones are "
    "applied with the reviewer's genres, and decide their movies over --feedback.",
)
@max_per_client_option
def prepare_command(
    data: Path,
    out_dir: Path,
    text_fields: str,
    description_column: str,
    min_genre_count: int,
    feedback: str | None,
    feedback_reviewed: Path | None,
    max_per_client: int,
) -> None:
    """Read the data, pick the labels, split 72/8/20 and write JSONL + DocBin files; apply users'
    corrections to the training split (--feedback, --feedback-reviewed)."""
    from genre_training.feedback import summary
    from genre_training.prepare import prepare

    report = prepare(
        data,
        out_dir,
        text_fields=text_fields,  # type: ignore[arg-type]
        description_column=description_column,
        min_genre_count=min_genre_count,
        feedback=feedback,
        feedback_reviewed=feedback_reviewed,
        max_per_client=max_per_client,
    )
    warning = default_data_warning(data, report["data_sha256"])
    if warning:
        click.echo(warning, err=True)
    load = report["load"]
    click.echo(
        f"{load['usable']} usable of {load['rows_read']} rows "
        f"(skipped: {load['skipped_empty_text']} empty text, "
        f"{load['skipped_unparsable_genres']} unparsable genres, "
        f"{load['skipped_no_label']} none of the labels); labels {report['labels']}; "
        f"splits {report['split_sizes']} -> {out_dir}"
    )
    if report["feedback"]:
        click.echo(summary(report["feedback"]))


@main.command("fine-tune")
@recipe_config_option("minilm")
@corpus_option
@directory_option(
    "out", "build/train", "model-best/ (a spaCy pipeline) and fine_tune.json go here."
)
@click.option(
    "--static",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="A packaged static model (make train RECIPE=static) to try in a three-way blend with "
    "the bag-of-words model, kept if it beats the two-way one on validation [default: the "
    "config's [paths] static_model].",
)
def fine_tune_command(config: Path, corpus_dir: Path, out_dir: Path, static: Path | None) -> None:
    """Fine-tune the transformer recipe, export it to ONNX (int8) as a spaCy pipeline."""
    from genre_training.transformer import REPORT_FILE, fine_tune

    overrides = {} if static is None else {"paths.static_model": str(static)}
    report = fine_tune(config, corpus_dir, out_dir, overrides)
    torch_f1 = report["pytorch"]["test_micro_f1_tuned"]
    onnx_f1 = report["onnx_int8"]["test_micro_f1_tuned"]
    click.echo(
        f"best epoch {report['best_epoch']} of {len(report['epochs'])} "
        f"({report['train_minutes']:.1f} min on {report['device']}); test micro F1 tuned: "
        f"PyTorch {torch_f1:.4f}, ONNX int8 {onnx_f1:.4f}; bag-of-words blend weight "
        f"{report['blend']['weight']} -> {out_dir}/model-best, {out_dir}/{REPORT_FILE}"
    )
    if "static" in report["blend"]:
        click.echo(three_way_line(report["blend"]["static"]))


def three_way_line(three_way: dict[str, Any]) -> str:
    """What the minilm recipe made of a static model: blend.choose_three_way's figures."""
    if "skipped" in three_way:
        return f"static model {three_way['model']} not blended: {three_way['skipped']}"
    return (
        f"minilm + static {three_way['static_weight']} + bag-of-words {three_way['bow_weight']}: "
        f"dev micro F1 tuned {three_way['dev_micro_f1_tuned']:.4f} against minilm + "
        f"bag-of-words {three_way['two_way_dev_micro_f1_tuned']:.4f}: "
        f"{'kept' if three_way['kept'] else 'dropped'}"
    )


@main.command("static")
@recipe_config_option("static")
@corpus_option
@directory_option("out", "build/train", "model-best/ (a spaCy pipeline) and static.json go here.")
@click.option(
    "--teacher",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The encoder to distil from (transformers' format, e.g. the minilm recipe's "
    "build/train/encoder) [default: the config's, else the pretrained MiniLM].",
)
def static_command(config: Path, corpus_dir: Path, out_dir: Path, teacher: Path | None) -> None:
    """Distil a static embedding model from a sentence encoder, train it with a head on the
    genres and write it as a spaCy pipeline (numpy and tokenizers to serve)."""
    from genre_training.static_recipe import REPORT_FILE, train_static_recipe

    report = train_static_recipe(config, corpus_dir, out_dir, teacher)
    click.echo(
        f"teacher {report['teacher']} ({'cached' if report['distill_cached'] else 'distilled'}); "
        f"best epoch {report['best_epoch']} of {len(report['epochs'])} "
        f"({report['train_minutes']:.1f} min); test micro F1 tuned: float32 "
        f"{report['float32']['test_micro_f1_tuned']:.4f}, {report['vector_dtype']} "
        f"{report['stored']['test_micro_f1_tuned']:.4f}; bag-of-words blend weight "
        f"{report['blend']['weight']} -> {out_dir}/model-best, {out_dir}/{REPORT_FILE}"
    )


@main.command("evaluate")
@model_option
@corpus_option
@directory_option("out", "build/eval", "Where metrics.json, report.md and pr_curves.png go.")
@click.option(
    "--variants",
    type=click.Path(path_type=Path),
    default=None,
    help="JSON table of variants tried (bench/model_variants.py) to include.",
)
@click.option(
    "--compare",
    multiple=True,
    metavar="NAME=DIR",
    help="Another trained model (artifact or pipeline) to report beside this one; repeatable.",
)
@click.option(
    "--served",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The model artifact that served the users' corrections (prepare --feedback), scored "
    "beside this one on the corrected movies [default: the model shipped with the package].",
)
def evaluate_command(
    model_dir: Path,
    corpus_dir: Path,
    out_dir: Path,
    variants: Path | None,
    compare: tuple[str, ...],
    served: Path | None,
) -> None:
    """Tune thresholds on dev; report the model, the TF-IDF baseline (and any --compare) on dev
    and test, and on the movies users corrected beside the model that served them; write the
    model card."""
    from genre_training.corrected import corrected_line
    from genre_training.evaluate import evaluate
    from genre_training.model_card import CARD_FILE

    others = {}
    for item in compare:
        name, separator, directory = item.partition("=")
        if not separator or not name or not directory:
            raise click.BadParameter(f"{item!r} is not NAME=DIR", param_hint="'--compare'")
        others[name] = Path(directory)
    results = evaluate(model_dir, corpus_dir, out_dir, variants, others, served)
    for model in results["models"]:
        figures = ", ".join(f"{k} {v:.4f}" for k, v in headline(results, model).items())
        click.echo(f"{model}: {figures}")
    if "corrected" in results:
        click.echo(corrected_line(results["corrected"]))
    click.echo(f"wrote {out_dir}/metrics.json, report.md, pr_curves.png, {CARD_FILE}")


@main.command("package")
@model_option
@directory_option("eval", "build/eval", "Output of `evaluate`.")
@corpus_option
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="The config.cfg the pipeline was trained with.",
)
@click.option("--recipe", required=True, help="Recipe name recorded in the manifest.")
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), default=Path("build"), show_default=True
)
def package_command(
    model_dir: Path, eval_dir: Path, corpus_dir: Path, config: Path, recipe: str, out_dir: Path
) -> None:
    """Write the artifact (pipeline/ + golden.json + manifest.json) and its .tar.gz archive."""
    from genre_training.package import package

    manifest, archive = package(model_dir, eval_dir, corpus_dir, config, recipe, out_dir)
    size_mb = archive.stat().st_size / 1e6
    click.echo(f"model {manifest.version}: {archive} ({size_mb:.1f} MB)")


def s3_options(command: Command) -> Command:
    """--bucket/--prefix/--region/--endpoint-url, each also read from the environment."""
    for option in reversed(
        [
            click.option(
                "--bucket",
                envvar="MOVIE_GENRE_BUCKET",
                required=True,
                help="S3 bucket [env MOVIE_GENRE_BUCKET].",
            ),
            click.option(
                "--prefix",
                envvar="MOVIE_GENRE_PREFIX",
                default=DEFAULT_PREFIX,
                show_default=True,
                help="Key prefix [env MOVIE_GENRE_PREFIX].",
            ),
            click.option(
                "--region",
                envvar=["AWS_REGION", "AWS_DEFAULT_REGION"],
                default=None,
                help="AWS region [env AWS_REGION].",
            ),
            click.option(
                "--endpoint-url",
                envvar="AWS_ENDPOINT_URL",
                default=None,
                help="S3-compatible endpoint, e.g. moto_server [env AWS_ENDPOINT_URL].",
            ),
        ]
    ):
        command = option(command)
    return command


def _location(bucket: str, prefix: str, region: str | None, endpoint_url: str | None) -> S3Location:
    return S3Location(
        bucket=bucket, prefix=prefix, region=region, endpoint_url=endpoint_url or None
    )


@main.command("publish")
@click.argument("artifact", required=False, type=click.Path(path_type=Path))
@s3_options
def publish_command(
    artifact: Path | None, bucket: str, prefix: str, region: str | None, endpoint_url: str | None
) -> None:
    """Upload ARTIFACT as a new version, verify it, then point latest.json at it.

    ARTIFACT is a model.tar.gz or an artifact directory; default: build/model.tar.gz when
    `make train` made one, else the default model shipped with the package.
    """
    from genre_model.locations import default_model_dir
    from genre_training.store import publish

    if artifact is None:
        artifact = TRAINED_ARCHIVE if TRAINED_ARCHIVE.is_file() else default_model_dir()
    elif not artifact.exists():
        raise StepError(f"{artifact} does not exist: give a model.tar.gz or an artifact directory")
    click.echo(f"publishing {artifact}")
    location = _location(bucket, prefix, region, endpoint_url)
    manifest = publish(artifact, location)
    click.echo(f"published {manifest.version} to {location.url(manifest.version)}; latest -> it")


@main.command("versions")
@s3_options
def versions_command(
    bucket: str, prefix: str, region: str | None, endpoint_url: str | None
) -> None:
    """List the published versions, oldest first (what `pull --version` takes)."""
    from genre_training.store import list_versions

    for version in list_versions(_location(bucket, prefix, region, endpoint_url)):
        click.echo(version)


@main.command("pull")
@click.option("--version", default=None, help="A published version; default: latest.")
@click.option(
    "--dest",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("models/pulled"),
    show_default=True,
    help="Where the verified artifact is unpacked (the image build reads it there).",
)
@s3_options
def pull_command(
    version: str | None,
    dest: Path,
    bucket: str,
    prefix: str,
    region: str | None,
    endpoint_url: str | None,
) -> None:
    """Download a version, verify every sha256, and unpack it into DEST."""
    from genre_training.store import pull

    location = _location(bucket, prefix, region, endpoint_url)
    manifest, golden = pull(location, dest, version)
    checked = (
        f"its {golden} golden movies score as at training time"
        if golden is not None
        else "warning: it has no golden set to check"
    )
    click.echo(
        f"pulled {manifest.version} from {location.url(manifest.version)} into {dest}; {checked}"
    )


@main.group("feedback")
def feedback_group() -> None:
    """Users' corrections (POST /feedback, docs/feedback.md)."""


@feedback_group.command("export")
@click.argument("source")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["prodigy"]),
    default="prodigy",
    show_default=True,
    help="prodigy: JSONL choice tasks (text, options, accept, answer, meta).",
)
@click.option(
    "--model",
    "model_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The model artifact whose labels are the options [default: the model shipped with "
    "the package].",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=Path("-"),
    show_default=True,
    help="Where the tasks go (- for stdout); a file is written whole or not at all.",
)
@max_per_client_option
def feedback_export_command(
    source: str, output_format: str, model_dir: Path | None, out: Path, max_per_client: int
) -> None:
    """Write the corrections under SOURCE (s3://bucket/prefix or a folder) for review in an
    annotation tool: the latest correction of each movie, as prepare would take them."""
    from genre_model import Manifest, ManifestError
    from genre_model.atomic_files import atomic_text
    from genre_model.locations import default_model_dir
    from genre_model.terminal import printable
    from genre_training.feedback import FeedbackReport, prodigy_tasks, select, write_jsonl
    from genre_training.feedback_sources import read_corrections

    directory = model_dir or default_model_dir()
    try:
        labels = Manifest.read(directory).labels
    except ManifestError as error:
        raise StepError(f"--model {directory}: {error}") from error
    report = FeedbackReport(source, max_per_client)
    selected = select(read_corrections(source), report)
    dropped = sum(genre not in labels for c in selected for genre in c.genres)
    tasks = prodigy_tasks(selected, labels)
    if str(out) == "-":
        written = write_jsonl(tasks, sys.stdout)
    else:
        with atomic_text(out) as stream:
            written = write_jsonl(tasks, stream)
    ignored = report.to_json()["ignored"]
    click.echo(
        f"{output_format} tasks written: {written}, from {source} (objects read: {report.read}; "
        f"ignored: {sum(ignored.values())}"
        + (f", {', '.join(f'{n} {why}' for why, n in sorted(ignored.items()))}" if ignored else "")
        + f"; genres that are not labels of {directory}, left out: {dropped})",
        err=True,
    )
    for problem in report.ignored_listed:
        if problem.reason not in (SUPERSEDED, OVER_CAP):
            click.echo(f"ignored {printable(problem.where)}: {printable(problem.reason)}", err=True)


@main.command("record")
@click.option(
    "--eval",
    "eval_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("build/eval"),
    show_default=True,
    help="Output of `evaluate`.",
)
@click.option("--recipe", required=True, help="The recipe the evaluated model was trained with.")
def record_command(eval_dir: Path, recipe: str) -> None:
    """Write an evaluation into docs/results.md and the README's results table, when it is one
    of the repository's published figures (its own data, as the recipes read it)."""
    from genre_training.results import read_results
    from genre_training.results_doc import README, RESULTS_DOC, record, unpublished

    reason = unpublished(read_results(eval_dir))
    if reason:
        click.echo(f"{recipe}: not written to {RESULTS_DOC}: {reason}")
        return
    record(eval_dir, recipe)
    click.echo(f"{recipe}: figures written to {RESULTS_DOC} and {README}")


if __name__ == "__main__":
    main()
