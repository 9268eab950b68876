"""The movie_classifier command."""

from __future__ import annotations

import json
import os
import pprint
from pathlib import Path

import click

# The model a fresh clone classifies with: trained by `make train`, kept in the repository.
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "default"
MODEL_DIR_ENV = "MOVIE_GENRE_MODEL_DIR"
EXIT_MODEL_MISSING = 3


def _non_empty(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.strip():
        raise click.BadParameter("must not be empty", param=param)
    return value


@click.command(
    epilog='Example:\n\n  movie_classifier --title "Othello" --description "The evil Iago '
    'pretends to be friend of Othello in order to manipulate him to serve his own end."'
)
@click.option("--title", required=True, callback=_non_empty, help="The movie's title.")
@click.option(
    "--description", required=True, callback=_non_empty, help="The movie's plot description."
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object, with every genre's score and the genres over threshold.",
)
@click.option(
    "--model-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Model artifact to run in-process [env {MODEL_DIR_ENV}; default: the "
    "model kept in the repository].",
)
def main(title: str, description: str, as_json: bool, model_dir: Path | None) -> None:
    """Print the most likely genre of a movie, scored by the model in-process."""
    try:
        from genre_model import GenreClassifier, ModelError
    except ImportError as error:
        raise click.ClickException(
            "the in-process model needs spaCy: pip install 'movie-genre[model]'"
        ) from error
    model_dir = model_dir or Path(os.environ.get(MODEL_DIR_ENV) or DEFAULT_MODEL_DIR)
    try:
        classifier = GenreClassifier.load(model_dir)
    except ModelError as error:
        click.echo(f"Error: cannot load the model: {error}", err=True)
        raise SystemExit(EXIT_MODEL_MISSING) from error
    prediction = classifier.predict([(title, description)])[0]
    result = {"title": title, "description": description, "genre": prediction.top_genre}
    if as_json:
        result |= {
            "scores": prediction.scores,
            "genres": prediction.genres,
            "model_version": classifier.version,
        }
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(pprint.pformat(result, sort_dicts=False))
