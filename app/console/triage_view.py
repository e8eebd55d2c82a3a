"""What the triage page preselects: a department only when routing is sure of it.

Routing's hint for a ticket in triage is often a guess (the model below its threshold, or the
triage department itself); a preselected guess gets sent with one click. The department list
starts blank (a choice is required) unless a rule, the category or the source names the
department, or the model is above its threshold; the guess is shown as a hint either way."""

from __future__ import annotations

from collections.abc import Container

from app.models.routing import ExplainResult

SURE = frozenset({"rule", "category", "explicit"})


def preselected(
    hint: ExplainResult | None, departments: Container[str], *, min_confidence: float
) -> str:
    """The department to preselect for a ticket, or "" for none."""
    if hint is None or hint.department not in departments:
        return ""
    if hint.method in SURE:
        return hint.department
    sure_model = hint.method == "model" and (hint.confidence or 0.0) >= min_confidence
    return hint.department if sure_model else ""
