"""The movie_classifier command."""

from __future__ import annotations

import pprint
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import click
from click.core import ParameterSource

from genre_model.constants import DEFAULT_TOP, MAX_TOP
from genre_model.locations import MODEL_DIR_ENV
from genre_model.movie_fields import movie_problem
from genre_model.terminal import printable, printable_json
from movie_classifier import catalogue, feedback
from movie_classifier.batch import (
    FORMULA_STARTS,
    Outcome,
    Row,
    check_output,
    classify_rows,
    read_rows,
    write_results,
)
from movie_classifier.classifier import Classifier, Movie
from movie_classifier.constants import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_CONCURRENCY,
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT_S,
    EMBEDDED,
    ENDPOINT_ENV,
    SHOWN_PROBLEMS,
    STACK_URL_OUTPUT,
)
from movie_classifier.embedded import EmbeddedClassifier
from movie_classifier.endpoint import parse_endpoint
from movie_classifier.errors import (
    ClassifierError,
    RefusedInput,
    RowsRefused,
    UsageProblem,
    exit_codes,
)
from movie_classifier.http_api import HttpClassifier
from movie_classifier.iam import api_region, aws_signer, custom_domain
from movie_classifier.s3_location import LOCAL_OR_S3, S3Location
from movie_classifier.stack import stack_endpoint

EXAMPLES = (
    "Examples:\n\n"
    '  movie_classifier --title "Othello" --description "The evil Iago pretends to be friend of '
    'Othello in order to manipulate him to serve his own end."\n\n'
    "  movie_classifier --endpoint http://127.0.0.1:3000 --explain --title ... "
    "--description ...\n\n"
    "  movie_classifier --stack movie-genre-dev --region us-east-1 --file movies.csv "
    "--output genres.jsonl\n\n"
    "  movie_classifier --stack movie-genre-prod --region us-east-1 --json --title ... "
    "--description ...\n\n"
    "  movie_classifier --stack movie-genre-prod --file s3://BUCKET/input/movies.csv "
    "--output genres.jsonl\n\n"
    "  movie_classifier --stack movie-genre-dev --title ... --description ... "
    "--genres Comedy,Romance\n\n"
    "  movie_classifier --stack movie-genre-dev --corrections corrections.csv\n\n"
)

PARTIAL_FAILURE = (
    "With --file, a row the API refuses (empty, over its limits) gets its 'error' in --output "
    "and the others are scored: exit 11, the refused rows listed (0 only when every row is "
    "scored). A request that fails whole (codes 4 to 8) stops the run, and its code wins: "
    "--output is still written, with the rows scored before it and the others marked 'not run'."
)


def _epilog() -> str:
    """The examples, then every exit code as the error classes define it."""
    table = exit_codes()
    width = max(len(str(code)) for code, _ in table)  # the meanings start in one column
    codes = "\n".join(
        textwrap.fill(
            meaning,
            78,
            initial_indent=f"  {code:>{width}}  ",
            subsequent_indent=" " * (width + 4),
        )
        for code, meaning in table
    )
    return (
        f"{EXAMPLES}Exit codes (an error is one line, 'Error: ...'; a usage error also shows "
        f"the usage):\n\n\b\n{codes}\n\n{PARTIAL_FAILURE}"
    )


@dataclass(frozen=True)
class Connection:
    """Where the movies go, from the options: the model in-process, or an API."""

    endpoint: str | None
    stack: str | None
    iam: bool | None
    iam_host: str | None
    region: str | None
    profile: str | None
    timeout: float
    retries: int


def _non_empty(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("must not be empty", param=param)
    return value


def _host_name(_ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    try:
        return None if value is None else custom_domain(value)
    except UsageProblem as error:
        raise click.BadParameter(error.message, param=param) from error


@click.command(epilog=_epilog(), context_settings={"max_content_width": 100})
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
    type=click.IntRange(1, MAX_TOP),
    is_flag=False,
    flag_value=DEFAULT_TOP,
    default=None,
    metavar="[N]",  # N may be left out: --explain alone takes the default
    help=f"Also say which words drove each genre's score: the top N per genre "
    f"(default {DEFAULT_TOP}, at most {MAX_TOP}).",
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
    help=f"CloudFormation stack made by `sam deploy` (movie-genre-dev, movie-genre-prod): "
    f"its {STACK_URL_OUTPUT} output is the endpoint.",
)
@click.option(
    "--iam/--no-iam",
    default=None,
    help="Sign requests with AWS SigV4 for an API whose routes need IAM authorization, only "
    "to an execute-api host (https) or loopback. Default: signed with --stack and for "
    "execute-api URLs when AWS credentials are found.",
)
@click.option(
    "--iam-host",
    callback=_host_name,
    default=None,
    help="The API's custom domain (e.g. api.example.com): --iam signs for it too. Implies --iam.",
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
    help=f"Model artifact for the in-process mode [env {MODEL_DIR_ENV}; default: "
    "the model shipped with the package].",
)
@click.option(
    "--file",
    "input_file",
    type=LOCAL_OR_S3,
    help="CSV of movies (title + description, or movies_metadata.csv's title + "
    "overview) to classify instead of --title/--description. An s3://... .csv or .jsonl runs "
    "a catalogue job on the --stack's Step Functions state machine (docs/catalogue.md).",
)
@click.option(
    "--output",
    type=LOCAL_OR_S3,
    help="With --file or --collect: where results go, .jsonl or .csv, one per input row in "
    "order (a catalogue job's may be s3://..., or an s3:// prefix ending in /).",
)
@click.option(
    "--raw-csv",
    is_flag=True,
    help="With a .csv --output: write text cells as they are. By default a cell that begins "
    f"with {' '.join(repr(c)[1:-1] for c in FORMULA_STARTS)} gets a ' before it (OWASP's rule "
    "against CSV injection), so that a spreadsheet shows it as text instead of running it.",
)
@click.option(
    "--no-wait",
    is_flag=True,
    help="With --file s3://...: start the catalogue job, print its execution ARN and return.",
)
@click.option(
    "--collect",
    metavar="EXECUTION_ARN",
    default=None,
    help="Follow a catalogue job started before (--no-wait) to its end and write its results "
    "to --output.",
)
@click.option(
    "--genres",
    default=None,
    help="Send a correction instead of classifying: the movie's right genres, comma-separated "
    '(e.g. Comedy,Romance; "" for none of these), to the API of --endpoint or --stack.',
)
@click.option(
    "--corrections",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Send a CSV of corrections to the API: title, description (or overview) and genres "
    "(names separated by , or ;, or movies_metadata.csv's list); --output's CSV, genres fixed, "
    "will do.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(1, 256),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Movies per request with --file.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Requests in flight at once with --file (spreads over Lambda instances).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_TIMEOUT_S,
    show_default=True,
    help="Seconds to wait for each answer.",
)
@click.option(
    "--retries",
    type=click.IntRange(0, 10),
    default=DEFAULT_RETRIES,
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
    iam_host: str | None,
    region: str | None,
    profile: str | None,
    model_dir: Path | None,
    input_file: Path | S3Location | None,
    output: Path | S3Location | None,
    raw_csv: bool,
    no_wait: bool,
    collect: str | None,
    genres: str | None,
    corrections: Path | None,
    batch_size: int,
    concurrency: int,
    timeout: float,
    retries: int,
) -> None:
    """Classify a movie's genre from its title and description.

    Prints the most likely genre. The model runs in-process unless --endpoint or --stack name a
    deployment of the movie-genre API.
    """
    job = catalogue.JobOptions(
        input_file, output, collect, no_wait, stack, region, profile, raw_csv=raw_csv
    )
    catalogue_job = catalogue.requested(job)  # checked in the try below, where errors are said
    local_file = input_file if isinstance(input_file, Path) else None
    local_output = output if isinstance(output, Path) else None
    correcting = genres is not None or corrections is not None
    if catalogue_job:
        pass
    elif correcting:
        feedback.check_usage(
            title=title,
            description=description,
            genres=genres,
            corrections=corrections,
            input_file=local_file,
            output=local_output,
            explain=explain,
        )
    else:
        _check_usage(title, description, local_file, local_output, explain)
    if stack and endpoint not in (None, ""):
        context = click.get_current_context()
        named = (
            f"--endpoint (here from {ENDPOINT_ENV})"
            if context.get_parameter_source("endpoint") == ParameterSource.ENVIRONMENT
            else "--endpoint"
        )
        raise click.UsageError(f"give either {named} or --stack, not both")
    if iam_host and iam is False:
        raise click.UsageError("--iam-host names a host to sign for: not with --no-iam")
    signing = True if iam_host else iam
    connection = Connection(endpoint, stack, signing, iam_host, region, profile, timeout, retries)
    try:
        if catalogue_job:
            catalogue.check_usage(job, click.get_current_context())
            catalogue.run(job)
            return
        if correcting:
            _send_corrections(
                connection, title, description, genres, corrections, as_json, concurrency
            )
            return
        # The file before a model load or a stack lookup: a bad file should fail fast.
        rows = read_rows(local_file) if local_file is not None else None
        classifier = _classifier(connection, model_dir)
        if rows is not None and local_output is not None:
            _classify_file(classifier, rows, local_output, batch_size, concurrency, raw_csv)
        else:
            _classify_one(classifier, str(title), str(description), as_json, explain)
    except UsageProblem as error:
        raise click.UsageError(printable(error.message)) from error
    except ClassifierError as error:
        click.echo(f"Error: {printable(error.message)}", err=True)
        sys.exit(error.exit_code)


def _check_usage(
    title: str | None,
    description: str | None,
    input_file: Path | None,
    output: Path | None,
    explain: int | None,
) -> None:
    """The options that go together: one movie, or a file and its output."""
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
    else:
        try:
            check_output(output)
        except UsageProblem as error:
            raise click.UsageError(printable(error.message)) from error


def _classifier(connection: Connection, model_dir: Path | None) -> Classifier:
    """The in-process model, or the API the options name, signed where they say so."""
    c = connection
    endpoint = stack_endpoint(c.stack, c.region, c.profile) if c.stack else c.endpoint
    if not endpoint or endpoint == EMBEDDED:
        if c.iam:
            raise UsageProblem("--iam signs requests to an API: give --endpoint or --stack")
        return EmbeddedClassifier(model_dir)
    where = f"stack {c.stack!r}'s {STACK_URL_OUTPUT}" if c.stack else "--endpoint"
    api = parse_endpoint(endpoint, where)
    signer = None
    if c.iam or (c.iam is None and (c.stack or api_region(api.host))):
        signer = aws_signer(
            api, region=c.region, profile=c.profile, required=bool(c.iam), iam_host=c.iam_host
        )
    return HttpClassifier(api.url, timeout=c.timeout, retries=c.retries, signer=signer)


def _send_corrections(
    connection: Connection,
    title: str | None,
    description: str | None,
    genres: str | None,
    corrections: Path | None,
    as_json: bool,
    concurrency: int,
) -> None:
    """--genres or --corrections: POST /feedback on the API the options name."""
    # The file before a stack lookup: a bad file should fail fast.
    rows = feedback.read_corrections(corrections) if corrections is not None else None
    names = feedback.genres_option(genres) if genres is not None else []
    if not connection.stack and connection.endpoint in (None, "", EMBEDDED):
        raise UsageProblem("corrections go to a deployed API: give --endpoint or --stack")
    api = _classifier(connection, None)
    assert isinstance(api, HttpClassifier)  # not embedded: checked above
    if rows is not None:
        feedback.send_file(api, rows, str(corrections), concurrency=concurrency, as_json=as_json)
    else:
        feedback.send_one(api, str(title), str(description), names, as_json=as_json)


def _classify_one(
    classifier: Classifier, title: str, description: str, as_json: bool, explain: int | None
) -> None:
    movie = Movie(title.strip(), description.strip())
    problem = movie_problem(movie.title, movie.description)
    if problem:  # the API's limits, in every mode: in-process scores nothing the API refuses
        raise RefusedInput(f"the API refuses this movie: {problem}")
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
        click.echo(printable_json(answer))
        return
    click.echo(pprint.pformat(answer, sort_dicts=False))
    if explained:
        click.echo("Why (words that push each genre up +, or down -):")
        for genre, words in explained.words.items():
            listed = ", ".join(f"{word} {weight:+.3f}" for word, weight in words) or "none"
            score = result.scores.get(genre, 0.0)
            click.echo(printable(f"  {genre} ({score:.2f}): {listed}"))


def _classify_file(
    classifier: Classifier,
    rows: list[Row],
    output: Path,
    batch_size: int,
    concurrency: int,
    raw_csv: bool,
) -> None:
    """Every row to output, scored or with its error; a failure that stopped the run is raised
    after the rows it left are written (marked not run)."""
    if isinstance(classifier, EmbeddedClassifier):
        concurrency = 1  # one model in one process: spaCy batches, threads would not help
    with click.progressbar(length=len(rows), label="classifying", file=sys.stderr) as bar:
        outcome = classify_rows(
            rows, classifier, chunk_size=batch_size, concurrency=concurrency, progress=bar.update
        )
    write_results(rows, outcome.results, output, raw_csv=raw_csv)
    _report(rows, outcome, output)


def _report(rows: list[Row], outcome: Outcome, output: Path) -> None:
    """What became of the rows, as a catalogue job says it; then the failure that stopped the
    run, or else RowsRefused when any row was refused."""
    refused = [
        (row.number, result)
        for position, (row, result) in enumerate(zip(rows, outcome.results, strict=True))
        if isinstance(result, str) and position not in outcome.not_run
    ]
    scored = len(rows) - len(refused) - len(outcome.not_run)
    click.echo(f"{scored} of {len(rows)} rows classified -> {output}", err=True)
    for number, reason in refused[:SHOWN_PROBLEMS]:
        click.echo(printable(f"  row {number} skipped: {reason}"), err=True)
    if len(refused) > SHOWN_PROBLEMS:
        more = len(refused) - SHOWN_PROBLEMS
        click.echo(f"  ... and {more} more rows skipped (see 'error' in {output})", err=True)
    stopped = outcome.stopped
    if stopped is not None:
        raise type(stopped)(
            f"{stopped.message}; the run stopped there: the {scored} rows scored before it are "
            f"in {output}, the {len(outcome.not_run)} rows not sent are marked 'not run'"
        )
    if refused:
        raise RowsRefused(len(refused), len(rows), str(output))
