"""The digest with quotes does its slow work once (issue 25, black-box re-check: 0.5–1.1 s a
page under load): natasha's models are loaded once per process, and a text already scrubbed is
not run through the NER again when the page is reloaded or downloaded."""

from __future__ import annotations

from typing import Any

import natasha

from app.reports import scrub
from tests.api.test_weekly_digest import day
from tests.api.test_weekly_digest_column import seed
from tests.support.builders import auth, make_key

URL = "/api/v1/reports/weekly-digest"


async def test_natasha_loads_once_and_texts_are_scrubbed_once(client, db, app, monkeypatch):
    loads: list[int] = []
    real_tagger = natasha.NewsNERTagger

    def counting_tagger(*args: Any) -> Any:
        loads.append(1)
        return real_tagger(*args)

    monkeypatch.setattr(natasha, "NewsNERTagger", counting_tagger)
    monkeypatch.setattr(scrub._NER, "_parts", None)  # as in a fresh process
    calls: list[str] = []
    real_persons = scrub._NER.persons

    def counting_persons(text: str) -> list[tuple[int, int]]:
        calls.append(text)
        return real_persons(text)

    monkeypatch.setattr(scrub._NER, "persons", counting_persons)
    scrub._scrubbed.cache_clear()

    app.state.clock = lambda: day(9)
    await seed(db)
    press = auth(await make_key(db, "manager", "press"))
    params = {"week": "2026-W47", "quotes": "true"}
    first = await client.get(URL, params=params, headers=press)
    assert first.status_code == 200, first.text
    assert "Сидорова" not in first.text and calls  # quoted, and scrubbed by the NER
    scrubbed = len(calls)
    again = await client.get(URL, params=params, headers=press)
    markdown = await client.get(URL, params={**params, "format": "md"}, headers=press)
    assert again.json() == first.json() and markdown.status_code == 200
    assert len(calls) == scrubbed  # the same texts: not run through the NER again
    assert loads == [1]  # the models: once
