"""``appeals routing …``: measure the rules on a labelled corpus, train and evaluate the learned
suggestion, measure duplicate detection."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from app.cli.runtime import run_with_db
from app.config import get_settings
from app.db import Database
from app.errors import AppError
from app.routing import model as routing_model

if TYPE_CHECKING:
    from app.routing.evaluation import CorpusReport

cli = typer.Typer(
    help="Routing: the rules by text, the learned suggestion and duplicate detection.",
    no_args_is_help=True,
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


class MissesShown(StrEnum):
    all = "all"
    tuning = "tuning"
    none = "none"


def _print_report(report: CorpusReport, misses: MissesShown) -> None:
    typer.echo(f"accuracy: {report.tally()}")
    if any(o.held_out for o in report.outcomes):
        typer.echo(f"  tuning part: {report.tally(held_out=False)}")
        typer.echo(f"  held out:    {report.tally(held_out=True)}")
    typer.echo(
        f"{'department':<14}{'texts':>6}{'routed':>7}{'right':>6}{'precision':>10}{'recall':>7}"
    )
    for d in report.departments():
        typer.echo(
            f"{d.code:<14}{d.texts:>6}{d.routed:>7}{d.right:>6}{d.precision:>10.3f}{d.recall:>7.3f}"
        )
    shown = [
        o
        for o in report.misses()
        if misses == MissesShown.all or (misses == MissesShown.tuning and not o.held_out)
    ]
    if misses != MissesShown.none:
        typer.echo(f"misses ({len(shown)}{' shown' if len(shown) < len(report.misses()) else ''}):")
    for o in shown:
        how = o.decision.rule_name or o.decision.method
        mark = " (held out)" if o.held_out else ""
        typer.echo(f"  #{o.number}{mark} {o.item.department} → {o.decision.department_code}")
        typer.echo(f"      «{o.item.text}»")
        typer.echo(f"      by {how}: {o.decision.reason}")


@cli.command("evaluate")
def evaluate(
    corpus: Annotated[
        Path, typer.Option(help="labelled YAML: a list of {text, department}")
    ] = Path("tests/fixtures/routing_corpus.yaml"),
    config: Annotated[Path, typer.Option(help="the city config whose rules route")] = Path(
        "config/city.example.yaml"
    ),
    hold_out: Annotated[
        int, typer.Option(help="report every N-th text apart, as held out (0: no split)")
    ] = 5,
    misses: Annotated[
        MissesShown, typer.Option(help="tuning: hide the held-out texts' misses while tuning")
    ] = MissesShown.all,
) -> None:
    """How many labelled texts the city's rules send to the right department by text alone
    (each routed as a phone call without a category; no database, no learned suggestion).

    Example: appeals routing evaluate --config config/city.yaml --misses tuning
    """
    # lazy: the rules' morphology and the config's models stay out of every `appeals` start
    from app.directory.city_config import read_city_config
    from app.routing.evaluation import TextRouter, evaluate_corpus, read_corpus

    try:
        router = TextRouter.from_config(read_city_config(config))
        report = evaluate_corpus(router, read_corpus(corpus), hold_out_every=hold_out)
    except AppError as exc:
        typer.echo(exc.detail, err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{len(report.outcomes)} texts of {corpus}, routed by the rules of {config}")
    _print_report(report, misses)


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


@cli.command("model-eval")
def model_eval(
    corpus: CorpusOption = CorpusSource.db,
    incidents: int = 600,
    seed: int = 1,
) -> None:
    """Accuracy and macro-F1 of the suggestion model on a 25 % held-out split (for the demo
    corpus, whole wordings are held out: the model is tested on phrasing it never saw).

    Example: appeals routing model-eval --corpus demo
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
    corpus: Annotated[
        Path | None,
        typer.Option(help="labelled pairs (YAML); default tests/fixtures/dedup_corpus.yaml"),
    ] = None,
    generated: Annotated[
        bool, typer.Option(help="the generated incident corpus instead (--incidents, --seed)")
    ] = False,
    incidents: int = 400,
    seed: int = 1,
    merge_at: Annotated[
        float | None, typer.Option(help="default APPEALS_DEDUP_MERGE_THRESHOLD")
    ] = None,
    suggest_at: Annotated[
        float | None, typer.Option(help="default APPEALS_DEDUP_SUGGEST_THRESHOLD")
    ] = None,
) -> None:
    """Duplicate detection precision and recall on the hand-labelled pairs (no database):
    auto-merges, merges plus suggestions, a held-out third, and every miss.

    Example: appeals routing dedup-eval
    """
    # lazy: the evaluation and its corpus load shapely, 0.3 s on every `appeals` start
    from app.tools.dedup_corpus import DEFAULT_CORPUS, load, report_lines
    from app.tools.dedup_eval import score_links, simulate
    from app.tools.simulators.routing_corpus import example_district_map, generate

    settings = get_settings()
    merge = settings.dedup_merge_threshold if merge_at is None else merge_at
    suggest = settings.dedup_suggest_threshold if suggest_at is None else suggest_at
    if generated:
        items = generate(incidents=incidents, seed=seed)
        merges, suggestions = simulate(
            items, example_district_map(), merge_at=merge, suggest_at=suggest
        )
        lines = score_links(items, merges, suggestions).lines()
    else:
        path = corpus or DEFAULT_CORPUS
        if not path.is_file():
            raise typer.BadParameter(f"no corpus at {path}", param_hint="--corpus")
        pairs = load(path)
        typer.echo(f"corpus: {path}")
        lines = report_lines(pairs, example_district_map(), merge_at=merge, suggest_at=suggest)
    for line in lines:
        typer.echo(line)
