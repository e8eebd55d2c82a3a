"""The list's fast reading of its query string (app.api.ticket_list_query) gives what FastAPI
and ``TicketListQuery`` give, or None (then they read it): compared on generated query strings."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI, Query
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.datastructures import QueryParams

from app.api.routers.tickets import TicketListQuery
from app.api.ticket_list_query import ListQuery, plain_list_query

_model_app = FastAPI()


@_model_app.get("/")
async def _read(query: Annotated[TicketListQuery, Query()]) -> dict[str, Any]:
    filters = query.filters()
    return {
        "filters": repr(filters),
        "sort": query.sort,
        "limit": query.limit,
        "cursor": query.cursor,
    }


_client = TestClient(_model_app)


def _by_model(pairs: list[tuple[str, str]]) -> dict[str, Any] | None:
    answer = _client.get("/?" + urlencode(pairs))
    return answer.json() if answer.status_code == 200 else None


def _by_lane(pairs: list[tuple[str, str]]) -> dict[str, Any] | None:
    found = plain_list_query(QueryParams(urlencode(pairs)))
    if found is None:
        return None
    return {
        "filters": repr(found.filters),
        "sort": found.sort,
        "limit": found.limit,
        "cursor": found.cursor,
    }


VALUES = {
    "status": ["new", "routed", "in_progress", "closed", "bogus", "", "NEW", " new"],
    "department": ["zhkh", "", " zhkh ", "x" * 64, "x" * 65, "жкх"],
    "category": ["heating", "", "y" * 65],
    "district": ["center", "", "z" * 64],
    "source": ["feedback_platform", "chatbot", "api", "bogus", ""],
    "kind": ["pos_message", "fz59_appeal", "nope", ""],
    "priority": ["low", "normal", "high", "urgent", "HIGH", ""],
    "overdue": ["true", "false", "1", "0", "yes", "no", "TRUE", "on", "", " true"],
    "at_risk": ["true", "false", "t", "f", ""],
    "q": ["отопление", "  ", "", "нет воды", "q" * 200, "q" * 201, " яма "],
    "sort": ["-created_at", "created_at", "resolution_due_at", "nearest_due", "", "-id"],
    "limit": ["1", "50", "200", "201", "0", "050", "-1", "+5", " 5", "5.0", "1e2", "", "٣"],
    "cursor": ["abc", "", "c" * 500, "c" * 501],
    "created_from": ["2026-01-01T00:00:00Z", "12345", ""],
    "created_to": ["2026-12-31", ""],
    "unknown": ["1", ""],
}
pair = st.sampled_from(sorted(VALUES)).flatmap(
    lambda name: st.tuples(st.just(name), st.sampled_from(VALUES[name]))
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(pair, max_size=6))
def test_the_lane_reads_what_the_model_reads_or_leaves_it(pairs: list[tuple[str, str]]) -> None:
    lane = _by_lane(pairs)
    if lane is not None:
        assert lane == _by_model(pairs)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "limit=50",
        "status=in_progress",
        "status=routed&status=new&priority=high&district=center&source=chatbot&overdue=true",
        "q=%D0%BD%D0%B5%D1%82+%D0%B2%D0%BE%D0%B4%D1%8B&department=zhkh",
        "sort=resolution_due_at&limit=7&cursor=abc&at_risk=false",
        "limit=3&limit=4",
        "unknown=1",
    ],
)
def test_plain_queries_take_the_lane(query: str) -> None:
    found = plain_list_query(QueryParams(query))
    assert isinstance(found, ListQuery)
    assert _by_lane(list(QueryParams(query).multi_items())) == _by_model(
        list(QueryParams(query).multi_items())
    )


@pytest.mark.parametrize(
    "query",
    [
        "limit=050",
        "limit=0",
        "limit=201",
        "limit=%D9%A3",
        "overdue=yes",
        "status=bogus",
        "status=",
        "sort=nearest_due",
        "created_from=2026-01-01T00:00:00Z",
        "department=" + "x" * 65,
        "q=" + "q" * 201,
    ],
)
def test_anything_else_is_left_to_the_model(query: str) -> None:
    assert plain_list_query(QueryParams(query)) is None


def test_the_lane_knows_every_parameter_of_the_model() -> None:
    """A parameter added to ``TicketListQuery`` must be taught to the lane (or sent to the
    model): the lane ignores names it does not know, as FastAPI ignores unknown ones."""
    from app.api import ticket_list_query as lane

    known = {"status", "overdue", "at_risk", "sort", "limit", "created_from", "created_to"}
    known |= set(lane._STRINGS) | set(lane._ENUMS)
    model = {f.alias or name for name, f in TicketListQuery.model_fields.items()}
    assert model == known
