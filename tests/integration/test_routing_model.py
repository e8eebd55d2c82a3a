"""The learned suggestion on real PostgreSQL: used only without a rule, only above threshold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import SESSION_SETTINGS, get_settings
from app.models.tickets import TicketEvent
from app.routing import model as routing_model
from app.tools.simulators.routing_corpus import generate
from tests.support.builders import make_ticket


@pytest.fixture
def data_dir(db, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The model lives under tmp_path: for the process settings and for ``db``'s sessions."""
    monkeypatch.setenv("APPEALS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    info = db.sessionmaker.kw["info"]
    changed = info[SESSION_SETTINGS].model_copy(update={"data_dir": tmp_path})
    monkeypatch.setitem(info, SESSION_SETTINGS, changed)
    yield tmp_path
    monkeypatch.undo()
    get_settings.cache_clear()


def _threshold(db, monkeypatch: pytest.MonkeyPatch, value: float) -> None:
    """New sessions of ``db`` carry settings with this confidence threshold."""
    info = db.sessionmaker.kw["info"]
    changed = info[SESSION_SETTINGS].model_copy(update={"routing_model_min_confidence": value})
    monkeypatch.setitem(info, SESSION_SETTINGS, changed)


async def _routed(db, ticket_id: int) -> dict:
    from sqlmodel import select

    async with db.sessionmaker() as session:
        rows = await session.exec(
            select(TicketEvent).where(
                TicketEvent.ticket_id == ticket_id, TicketEvent.type == "routed"
            )
        )
        return rows.one().data


# No keyword of the example city's rules: it is the model's or triage's.
SOCIAL = "Одинокой соседке второй месяц не доставляют соцпомощь"


async def test_model_routes_unsorted_ticket_above_threshold_only(db, data_dir, monkeypatch):
    corpus = generate(incidents=150, seed=2)
    texts = [routing_model.features(t.text, t.category) for t in corpus]
    path = routing_model.save(
        routing_model.train(texts, [t.department for t in corpus]),
        routing_model.model_path(data_dir),
    )
    assert path.parent.parent == data_dir

    _threshold(db, monkeypatch, 0.3)
    ticket = await make_ticket(db, text=SOCIAL, category_code="other")
    routed = await _routed(db, ticket.id)
    assert (ticket.department_code, routed["method"]) == ("social", "model")
    assert routed["confidence"] >= 0.3

    _threshold(db, monkeypatch, 0.999)
    ticket = await make_ticket(db, text=SOCIAL, category_code="other")
    routed = await _routed(db, ticket.id)
    assert (ticket.department_code, routed["method"]) == ("press", "triage")
    assert "below" in routed["reason"]


async def test_model_never_overrides_a_matching_rule(db, data_dir, monkeypatch):
    # A deliberately wrong model: every pothole belongs to education, with full confidence.
    texts = [routing_model.features(f"Яма на дороге номер {i}", "other") for i in range(20)]
    texts += [routing_model.features(f"Сломаны качели номер {i}", "other") for i in range(20)]
    labels = ["education"] * 20 + ["blago"] * 20
    routing_model.save(routing_model.train(texts, labels), routing_model.model_path(data_dir))
    _threshold(db, monkeypatch, 0.0)
    text = "Яма на дороге у дома"
    guess = routing_model.suggest_with(
        routing_model.load(routing_model.model_path(data_dir)),
        routing_model.TicketFacts("api", "direct_request", "phone", ("other",), text),
    )
    assert guess is not None and guess.department == "education"

    ticket = await make_ticket(db, text=text, category_code="other")
    routed = await _routed(db, ticket.id)
    assert ticket.department_code == "roads"
    assert routed["method"] == "rule" and routed["rule"]["name"].endswith("ямы и дорожное покрытие")


async def test_training_examples_are_the_closed_tickets(db):
    await make_ticket(db, text="Холодные батареи", category_code="heating", status="closed")
    await make_ticket(db, text="Яма", category_code="roads", status="answered")
    await make_ticket(db, text="Ещё открыта", category_code="roads")
    async with db.sessionmaker() as session:
        texts, labels = await routing_model.closed_ticket_examples(session)
    assert sorted(labels) == ["roads", "zhkh"]
    assert any("__heating__" in t and "батареи" in t for t in texts)
