"""The movie_classifier command."""

from __future__ import annotations

import json
import pprint
import sys
from pathlib import Path

import click

from movie_classifier.batch import Row, check_output, classify_rows, read_rows, write_results
from movie_classifier.client import (
    EMBEDDED,
    Classifier,
    ClassifierError,
    EmbeddedClassifier,
    HttpClassifier,
    Movie,
    aws_signer,
    execute_api_region,
    stack_endpoint,
)

ENDPOINT_ENV = "MOVIE_CLASSIFIER_ENDPOINT"
EXAMPLE = (
    "Examples:\n\n"
    '  movie_classifier --title "Othello" --description "The evil Iago pretends to be friend of '
    'Othello in order to manipulate him to serve his own end."\n\n'
    "  movie_classifier --endpoint http://127.0.0.1:3000 --title ... --description ...\n\n"
    "  movie_classifier --stack movie-genre --file movies.csv --output genres.jsonl\n\n"
    "Exit codes: 0 ok, 1 other error, 2 usage, 3 model missing (embedded), 4 endpoint "
    "unreachable, 5 timeout, 6 request refused (4xx, a 403 for IAM included), 7 server error "
    "(5xx), 8 throttled, 9 --stack/--iam not usable (stack, credentials, region)."
)


def _non_empty(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("must not be empty", param=param)
    return value


@click.command(epilog=EXAMPLE, context_settings={"max_content_width": 100})
@click.option("--title", callback=_non_empty, help="The movie's title.")
@click.option("--description", callback=_non_empty, help="The movie's plot description.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object with every genre's score and the genres over threshold.",
)
@click.option(
    "--explain",
    type=click.IntRange(1, 20),
    is_flag=False,
    flag_value=8,
    default=None,
    help="Also say which words drove each genre's score: the top N per genre (default 8).",
)
@click.option(
    "--endpoint",
    envvar=ENDPOINT_ENV,
    default=None,
    help=f"Base URL of a deployed API, e.g. http://127.0.0.1:3000 for sam local, or "
    f"'{EMBEDDED}' for the model in-process (the default) [env {ENDPOINT_ENV}].",
)
@click.option(
    "--stack",
    default=None,
    help="CloudFormation stack made by `sam deploy`: its GenreApiUrl is the endpoint.",
)
@click.option(
    "--iam/--no-iam",
    default=None,
    help="Sign requests with AWS SigV4 for an API whose routes need IAM authorization. "
    "Default: signed with --stack and for execute-api URLs when AWS credentials are found.",
)
@click.option(
    "--region",
    default=None,
    help="AWS region of --stack and of the signature (default: from the URL, else boto3's).",
)
@click.option("--profile", default=None, help="AWS profile for --stack and --iam.")
@click.option(
    "--model-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Model artifact for the in-process mode [env MOVIE_GENRE_MODEL_DIR; default: "
    "the model kept in the repository].",
)
@click.option(
    "--file",
    "input_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV of movies (title + description, or movies_metadata.csv's title + "
    "overview) to classify instead of --title/--description.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="With --file: where results go, .jsonl or .csv, one per input row in order.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 256),
    default=64,
    show_default=True,
    help="Movies per request with --file.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="Requests in flight at once with --file (spreads over Lambda instances).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds to wait for each answer.",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=4,
    show_default=True,
    help="Retries, with backoff, when the API is throttling (429/503).",
)
def main(
    title: str | None,
    description: str | None,
    as_json: bool,
    explain: int | None,
    endpoint: str | None,
    stack: str | None,
    iam: bool | None,
    region: str | None,
    profile: str | None,
    model_dir: Path | None,
    input_file: Path | None,
    output: Path | None,
    batch_size: int,
    concurrency: int,
    timeout: float,
    retries: int,
) -> None:
    """Classify a movie's genre from its title and description.

    Prints the most likely genre. The model runs in-process unless --endpoint or --stack name a
    deployment of the movie-genre API.
    """
    if input_file is None:
        for name, value in (("--title", title), ("--description", description)):
            if value is None:
                raise click.UsageError(f"Missing option '{name}' (or give --file).")
    elif title or description:
        raise click.UsageError("give either --file or --title/--description, not both")
    elif explain:
        raise click.UsageError("--explain is for one movie (--title/--description), not --file")
    elif output is None:
        raise click.UsageError("--file needs --output (a .jsonl or .csv path)")
    if stack and endpoint not in (None, ""):
        raise click.UsageError("give either --endpoint or --stack, not both")
    try:
        rows = None
        if input_file is not None and output is not None:
            # Before a model load or a stack lookup: a bad file should fail fast.
            check_output(output)
            rows = read_rows(input_file)
        classifier = _classifier(endpoint, stack, iam, region, profile, model_dir, timeout, retries)
        if rows is not None and output is not None:
            _classify_file(classifier, rows, output, batch_size, concurrency)
        else:
            _classify_one(classifier, str(title), str(description), as_json, explain)
    except ClassifierError as error:
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(error.exit_code)


def _classifier(
    endpoint: str | None,
    stack: str | None,
    iam: bool | None,
    region: str | None,
    profile: str | None,
    model_dir: Path | None,
    timeout: float,
    retries: int,
) -> Classifier:
    if stack:
        endpoint = stack_endpoint(stack, region, profile)
    if not endpoint or endpoint == EMBEDDED:
        if iam:
            raise click.UsageError("--iam signs requests to an API: give --endpoint or --stack")
        return EmbeddedClassifier(model_dir)
    if not endpoint.startswith(("http://", "https://")):
        raise click.BadParameter(
            f"{endpoint!r} is not an http(s) URL nor '{EMBEDDED}'", param_hint="'--endpoint'"
        )
    signer = None
    if iam or (iam is None and (stack or execute_api_region(endpoint))):
        signer = aws_signer(endpoint, region=region, profile=profile, required=bool(iam))
    return HttpClassifier(endpoint, timeout=timeout, retries=retries, signer=signer)


def _classify_one(
    classifier: Classifier, title: str, description: str, as_json: bool, explain: int | None
) -> None:
    movie = Movie(title.strip(), description.strip())
    explained = classifier.explain(movie, explain) if explain else None
    result = explained.classified if explained else classifier.classify([movie])[0]
    answer: dict[str, object] = {"title": title, "description": description, "genre": result.genre}
    if as_json:
        answer |= {
            "scores": result.scores,
            "genres": result.genres,
            "model_version": result.model_version,
        }
        if explained:
            answer["explanations"] = {
                genre: [{"word": word, "weight": weight} for word, weight in words]
                for genre, words in explained.words.items()
            }
        click.echo(json.dumps(answer, ensure_ascii=False))
        return
    click.echo(pprint.pformat(answer, sort_dicts=False))
    if explained:
        click.echo("Why (words that push each genre up +, or down -):")
        for genre, words in explained.words.items():
            listed = ", ".join(f"{word} {weight:+.3f}" for word, weight in words) or "none"
            click.echo(f"  {genre} ({result.scores[genre]:.2f}): {listed}")


def _classify_file(
    classifier: Classifier, rows: list[Row], output: Path, batch_size: int, concurrency: int
) -> None:
    if isinstance(classifier, EmbeddedClassifier):
        concurrency = 1  # one model in one process: spaCy batches, threads would not help
    with click.progressbar(length=len(rows), label="classifying", file=sys.stderr) as bar:
        results = classify_rows(
            rows, classifier, chunk_size=batch_size, concurrency=concurrency, progress=bar.update
        )
    write_results(rows, results, output)
    skipped = [(row.number, r) for row, r in zip(rows, results, strict=True) if isinstance(r, str)]
    click.echo(f"{len(rows) - len(skipped)} of {len(rows)} rows classified -> {output}", err=True)
    for number, reason in skipped[:10]:
        click.echo(f"  row {number} skipped: {reason}", err=True)
    if len(skipped) > 10:
        click.echo(
            f"  ... and {len(skipped) - 10} more skipped rows (see 'error' in {output})", err=True
        )
