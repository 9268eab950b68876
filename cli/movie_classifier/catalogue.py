"""Catalogue jobs from the command line (docs/catalogue.md).

    movie_classifier --file s3://BUCKET/input/movies.csv --stack NAME --output genres.jsonl

starts a job on the stack's Step Functions state machine (a Distributed Map that sends batches to
the API's function), shows its progress, waits, and writes every row's result in input order, in
the same records as a local --file run (a local path or s3://, .jsonl or .csv; an s3:// prefix
ending in / gets <catalogue>-genres.<csv|jsonl>). --no-wait prints the execution's ARN instead,
and `--collect ARN --output ...` follows and collects it later.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import click
from click.core import ParameterSource

from genre_model.terminal import printable
from movie_classifier.aws import boto3_session
from movie_classifier.batch import OUTPUT_FORMATS, check_output
from movie_classifier.catalogue_job import (
    SUCCEEDED,
    Execution,
    ItemCounts,
    JobInput,
    execution_name,
    follow,
    input_format,
    region_of,
    start,
)
from movie_classifier.catalogue_results import Summary, collect
from movie_classifier.constants import (
    CATALOGUE_INPUT_OUTPUT,
    CATALOGUE_MACHINE_OUTPUT,
    CATALOGUE_POLL_S,
    CATALOGUE_RESULTS_OUTPUT,
)
from movie_classifier.errors import AwsProblem, JobFailed, RowsRefused, UsageProblem
from movie_classifier.s3_location import S3Location, parse_s3
from movie_classifier.s3_objects import check_readable, upload
from movie_classifier.stack import stack_outputs

# Options of one movie or a local --file: a catalogue job has the stack's settings instead.
LOCAL_ONLY = (
    "title",
    "description",
    "as_json",
    "explain",
    "endpoint",
    "iam",
    "iam_host",
    "model_dir",
    "batch_size",
    "concurrency",
    "timeout",
    "retries",
    "genres",
    "corrections",
)


@dataclass(frozen=True)
class JobOptions:
    source: Path | S3Location | None
    output: Path | S3Location | None
    collect: str | None
    no_wait: bool
    stack: str | None
    region: str | None
    profile: str | None
    raw_csv: bool = False


def requested(options: JobOptions) -> bool:
    """Whether the options ask for a catalogue job rather than a local run."""
    o = options
    return bool(o.collect or o.no_wait) or S3Location in (type(o.source), type(o.output))


def check_usage(options: JobOptions, context: click.Context) -> None:
    """The options that go together for a job, checked before any network."""
    o = options
    given = [
        param.opts[0]
        for param in context.command.params
        if param.name in LOCAL_ONLY
        and context.get_parameter_source(param.name) not in (None, ParameterSource.DEFAULT)
    ]
    if given:
        raise UsageProblem(f"{', '.join(given)}: for one movie or a local --file, not a job")
    if o.collect is not None:
        if o.source is not None or o.no_wait:
            raise UsageProblem("--collect follows a job started before: not with --file, --no-wait")
        region = region_of(o.collect)
        if o.region and o.region != region:
            raise UsageProblem(f"--region {o.region}: the execution runs in {region}")
    elif not isinstance(o.source, S3Location):
        raise UsageProblem(
            "an s3:// --output and --no-wait are for a catalogue job (--file s3://...) or --collect"
        )
    else:
        input_format(o.source)
        if not o.stack:
            raise UsageProblem("a catalogue job runs on a stack's state machine: give --stack")
        if o.no_wait and o.output is not None:
            raise UsageProblem("--no-wait prints the job's ARN: give --output to --collect")
    if o.output is None and not o.no_wait:
        raise UsageProblem("a catalogue job needs --output (a .jsonl or .csv path, or s3://)")
    if isinstance(o.output, Path):
        check_output(o.output)
    elif isinstance(o.output, S3Location) and not (
        o.output.is_prefix or o.output.suffix in OUTPUT_FORMATS
    ):
        formats = " or ".join(OUTPUT_FORMATS)
        raise UsageProblem(f"--output {o.output} must end in {formats}, or in / (a prefix)")


def run(options: JobOptions) -> None:
    """Start a job (or take the one --collect names), then follow it and write its results."""
    if options.collect is not None:
        arn = options.collect
        session = boto3_session("--collect", region=region_of(arn), profile=options.profile)
    else:
        session = boto3_session("--stack", region=options.region, profile=options.profile)
        arn = start_job(session, options)
        if options.no_wait:
            click.echo(printable(arn))
            click.echo(
                printable(f"collect it with: movie_classifier --collect {arn} --output ..."),
                err=True,
            )
            return
    assert options.output is not None  # check_usage: only --no-wait goes without
    finish_job(session, arn, options.output, raw_csv=options.raw_csv)


def step_functions(session: Any) -> Any:
    """A Step Functions client that backs off when throttled (the polls are many)."""
    from botocore.config import Config

    return session.client("stepfunctions", config=Config(retries={"mode": "standard"}))


def start_job(session: Any, options: JobOptions) -> str:
    """Start the job on the stack's state machine; its execution's ARN."""
    source, stack = options.source, str(options.stack)
    assert isinstance(source, S3Location)  # check_usage
    outputs = stack_outputs(stack, options.region, options.profile)
    names = (CATALOGUE_MACHINE_OUTPUT, CATALOGUE_INPUT_OUTPUT, CATALOGUE_RESULTS_OUTPUT)
    if any(name not in outputs for name in names):
        raise AwsProblem(
            f"stack {stack!r} has no {CATALOGUE_MACHINE_OUTPUT} output (deployed before catalogue "
            "jobs, or not movie-genre's)"
        )
    readable, results = (parse_s3(outputs[name]) for name in names[1:])
    if not source.within(readable):
        raise UsageProblem(
            f"stack {stack!r}'s state machine reads catalogues under {readable} only: put "
            f"{source.name} there"
        )
    check_readable(session.client("s3"), source)
    name = execution_name(source, datetime.now(UTC))
    job = JobInput(input_format(source), source, S3Location(results.bucket, results.key + name))
    arn = start(step_functions(session), outputs[CATALOGUE_MACHINE_OUTPUT], job, name)
    click.echo(printable(f"started {arn}"), err=True)
    return arn


def finish_job(session: Any, arn: str, output: Path | S3Location, *, raw_csv: bool) -> None:
    """Follow the job to its end, write its rows to output, and say what became of them."""
    try:
        with progress_bar() as progress:
            execution = follow(step_functions(session), arn, progress, CATALOGUE_POLL_S)
    except KeyboardInterrupt:
        goes_on = f"the job goes on: movie_classifier --collect {arn} --output ..."
        click.echo("\n" + printable(goes_on), err=True)
        raise
    if execution.status != SUCCEEDED and execution.manifest() is None:
        raise JobFailed(f"the job ended {execution.status}: {execution.failure or 'no results'}")
    s3 = session.client("s3")
    destination: Path | S3Location
    with tempfile.TemporaryDirectory(prefix="movie-classifier-") as work:
        if isinstance(output, S3Location):
            destination = output_location(output, execution.job)
            written = Path(work) / f"genres{destination.suffix}"
            summary = collect(s3, execution, written, Path(work), raw_csv=raw_csv)
            upload(s3, written, destination)
        else:
            destination = output
            summary = collect(s3, execution, output, Path(work), raw_csv=raw_csv)
    report(summary, str(destination), execution)


def output_location(output: S3Location, job: JobInput) -> S3Location:
    """output itself, or for a prefix, <prefix><catalogue's name>-genres.<its format>."""
    if not output.is_prefix:
        return output
    stem = PurePosixPath(job.source.key).stem
    return S3Location(output.bucket, f"{output.key}{stem}-genres.{job.format}")


def report(summary: Summary, where: str, execution: Execution) -> None:
    """What became of the rows; JobFailed when any went unscored for a reason of the job's, or
    else RowsRefused when the function refused any."""
    click.echo(
        printable(f"{summary.scored} of {summary.total} rows classified -> {where}"), err=True
    )
    for problem in summary.problems + summary.notes:
        click.echo(printable(f"  {problem}"), err=True)
    more = summary.refused + summary.failed - len(summary.problems)
    if more > 0:
        click.echo(
            printable(f"  ... and {more} more rows not classified (see 'error' in {where})"),
            err=True,
        )
    if summary.failed or execution.status != SUCCEEDED:
        ended = "" if execution.status == SUCCEEDED else f"; the job ended {execution.status}"
        failure = f" ({execution.failure})" if execution.failure else ""
        raise JobFailed(
            f"{summary.failed} of {summary.total} rows were not scored (their batch failed or "
            f"never ran), marked with 'error' in {where}{ended}{failure}"
        )
    if summary.refused:
        raise RowsRefused(summary.refused, summary.total, where)


@contextmanager
def progress_bar() -> Iterator[Callable[[ItemCounts], None]]:
    """--file's progress bar, shown once the map run knows how many rows there are."""
    with ExitStack() as stack:
        bar: Any = None
        shown = 0

        def update(counts: ItemCounts) -> None:
            nonlocal bar, shown
            if bar is None:
                if counts.total == 0:
                    return
                bar = stack.enter_context(
                    click.progressbar(length=counts.total, label="classifying", file=sys.stderr)
                )
            bar.length = max(bar.length, counts.total)  # the reader may still be counting
            bar.update(counts.done - shown)
            shown = counts.done

        yield update
