"""The learned routing suggestion: TF-IDF over character n-grams + logistic regression.

Trained on the city's own closed tickets (text + category → the department that closed it),
saved under ``settings.data_dir``, and asked only when no rule and no category applies.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.models.common import Status
from app.models.tickets import Ticket
from app.routing.rules import Suggestion, TicketFacts

MODEL_FILE = "routing-model.joblib"


def model_path(data_dir: Path) -> Path:
    """Where the model of a deployment lives: ``settings.data_dir``/routing/."""
    return data_dir / "routing" / MODEL_FILE


def features(text: str, category: str | None) -> str:
    """The model's input: the category code as a token, then the text."""
    return f"__{category or 'none'}__ {text}"


@dataclass(frozen=True)
class Metrics:
    accuracy: float
    macro_f1: float
    train_size: int
    test_size: int
    labels: tuple[str, ...]


def build_pipeline() -> Any:
    # lazy: scikit-learn takes ~2 s to import; only training needs it, not every api start
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    return Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    lowercase=True,
                    sublinear_tf=True,
                    min_df=1,
                    max_features=200_000,
                ),
            ),
            ("clf", LogisticRegression(max_iter=2000, C=10.0)),
        ]
    )


def train(texts: Sequence[str], labels: Sequence[str]) -> Any:
    """Fit a pipeline on (features, department) pairs."""
    if len(set(labels)) < 2:
        raise ValueError("training needs closed tickets of at least two departments")
    pipeline = build_pipeline()
    pipeline.fit(list(texts), list(labels))
    return pipeline


def evaluate(
    texts: Sequence[str],
    labels: Sequence[str],
    *,
    groups: Sequence[str] | None = None,
    seed: int = 7,
) -> Metrics:
    """Accuracy and macro-F1 on a 25 % held-out split; with ``groups`` (e.g. the wording of a
    generated text) whole groups are held out, so the test texts are worded unlike any seen."""
    # lazy: scikit-learn (~2 s to import) is for training and evaluation only
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    x, y = list(texts), list(labels)
    if groups is not None:
        splitter = GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=seed)
        train_idx, test_idx = next(splitter.split(x, y, groups=list(groups)))
        x_train, y_train = [x[i] for i in train_idx], [y[i] for i in train_idx]
        x_test, y_test = [x[i] for i in test_idx], [y[i] for i in test_idx]
    else:
        counts = {label: y.count(label) for label in set(y)}
        stratify = y if min(counts.values()) >= 2 else None
        x_train, x_test, y_train, y_test = train_test_split(
            x, y, test_size=0.25, random_state=seed, stratify=stratify
        )
    model = train(x_train, y_train)
    predicted = model.predict(x_test)
    return Metrics(
        accuracy=float(accuracy_score(y_test, predicted)),
        macro_f1=float(f1_score(y_test, predicted, average="macro")),
        train_size=len(x_train),
        test_size=len(x_test),
        labels=tuple(sorted(set(y))),
    )


def save(model: Any, path: Path) -> Path:
    """Write the model atomically (a replica reading it never sees half a file)."""
    import joblib  # lazy (~0.3 s): only a city that trains a model pays for it

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    joblib.dump(model, tmp)
    os.replace(tmp, path)
    _cache.clear()
    return path


_cache: dict[tuple[str, float], Any] = {}


def load(path: Path) -> Any | None:
    """The saved model (re-read when the file changes), or None when none was trained."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return None
    key = (str(path), mtime)
    if key not in _cache:
        import joblib  # lazy (~0.3 s): only a city that trains a model pays for it

        _cache.clear()
        _cache[key] = joblib.load(path)
    return _cache[key]


def suggest_with(model: Any, facts: TicketFacts) -> Suggestion | None:
    """The model's most probable department for the ticket and its probability."""
    if model is None:
        return None
    category = facts.category_path[0] if facts.category_path else None
    probabilities = model.predict_proba([features(facts.text, category)])[0]
    best = int(probabilities.argmax())
    return Suggestion(str(model.classes_[best]), float(probabilities[best]))


def suggest(facts: TicketFacts, *, data_dir: Path) -> Suggestion | None:
    """The suggestion of the model saved under ``data_dir``, or None when there is no model yet."""
    return suggest_with(load(model_path(data_dir)), facts)


async def closed_ticket_examples(
    session: AsyncSession, *, limit: int = 200_000
) -> tuple[list[str], list[str]]:
    """(features, department) of the city's answered and closed tickets, newest first."""
    rows = await session.exec(
        select(Ticket.text, Ticket.category_code, Ticket.department_code)
        .where(col(Ticket.status).in_([Status.closed.value, Status.answered.value]))
        .order_by(col(Ticket.id).desc())
        .limit(limit)
    )
    texts, labels = [], []
    for text, category, department in rows.all():
        texts.append(features(text, category))
        labels.append(department)
    return texts, labels
