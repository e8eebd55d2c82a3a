"""``appeals routing …``: train and evaluate the learned suggestion, measure duplicate detection."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from app.cli.runtime import run_with_db
from app.config import get_settings
from app.db import Database
from app.routing import model as routing_model

cli = typer.Typer(
    help="Routing: the learned suggestion and duplicate detection.", no_args_is_help=True
)


class CorpusSource(StrEnum):
    db = "db"
    demo = "demo"


Examples = tuple[list[str], list[str], list[str] | None]


def _demo_examples(incidents: int, seed: int) -> Examples:
    # lazy: the generated corpus loads shapely, 0.2 s on every `appeals` start
    from app.tools.simulators.routing_corpus import generate

    corpus = generate(incidents=incidents, seed=seed)
    return (
        [routing_model.features(t.text, t.category) for t in corpus],
        [t.department for t in corpus],
        [t.wording for t in corpus],
    )


def _examples(corpus: CorpusSource, incidents: int, seed: int) -> Examples:
    if corpus == CorpusSource.demo:
        return _demo_examples(incidents, seed)

    async def work(db: Database) -> Examples:
        async with db.sessionmaker() as session:
            texts, labels = await routing_model.closed_ticket_examples(session)
            return texts, labels, None

    return run_with_db(work)


CorpusOption = Annotated[
    CorpusSource,
    typer.Option(help="db: the city's closed tickets; demo: the generated labelled corpus"),
]


@cli.command("train")
def train(
    corpus: CorpusOption = CorpusSource.db,
    incidents: int = 600,
    seed: int = 1,
) -> None:
    """Train the suggestion model and save it under APPEALS_DATA_DIR/routing/.

    Example: appeals routing train            (on the city's closed tickets)
    """
    texts, labels, _ = _examples(corpus, incidents, seed)
    if len(texts) < 10:
        typer.echo(f"only {len(texts)} closed tickets: not enough to train", err=True)
        raise typer.Exit(1)
    try:
        model = routing_model.train(texts, labels)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    path = routing_model.save(model, routing_model.model_path(get_settings().data_dir))
    typer.echo(f"trained on {len(texts)} tickets, {len(set(labels))} departments; saved {path}")


@cli.command("evaluate")
def evaluate(
    corpus: CorpusOption = CorpusSource.db,
    incidents: int = 600,
    seed: int = 1,
) -> None:
    """Accuracy and macro-F1 of the suggestion model on a 25 % held-out split (for the demo
    corpus, whole wordings are held out: the model is tested on phrasing it never saw).

    Example: appeals routing evaluate --corpus demo
    """
    texts, labels, groups = _examples(corpus, incidents, seed)
    if len(texts) < 10 or len(set(labels)) < 2:
        typer.echo(f"{len(texts)} examples: not enough to evaluate", err=True)
        raise typer.Exit(1)
    m = routing_model.evaluate(texts, labels, groups=groups, seed=seed)
    typer.echo(
        f"examples: train {m.train_size}, held out {m.test_size}, departments {len(m.labels)}"
    )
    typer.echo(f"accuracy: {m.accuracy:.3f}")
    typer.echo(f"macro-F1: {m.macro_f1:.3f}")


@cli.command("dedup-eval")
def dedup_eval(
    incidents: int = 400,
    seed: int = 1,
    merge_at: Annotated[
        float | None, typer.Option(help="default APPEALS_DEDUP_MERGE_THRESHOLD")
    ] = None,
    suggest_at: Annotated[
        float | None, typer.Option(help="default APPEALS_DEDUP_SUGGEST_THRESHOLD")
    ] = None,
) -> None:
    """Duplicate detection precision and recall on the generated labelled corpus (no database).

    Example: appeals routing dedup-eval --incidents 400
    """
    # lazy: the evaluation and its corpus load shapely, 0.3 s on every `appeals` start
    from app.tools.dedup_eval import score_links, simulate
    from app.tools.simulators.routing_corpus import example_district_map, generate

    settings = get_settings()
    corpus = generate(incidents=incidents, seed=seed)
    merges, suggestions = simulate(
        corpus,
        example_district_map(),
        merge_at=settings.dedup_merge_threshold if merge_at is None else merge_at,
        suggest_at=settings.dedup_suggest_threshold if suggest_at is None else suggest_at,
    )
    for line in score_links(corpus, merges, suggestions).lines():
        typer.echo(line)
