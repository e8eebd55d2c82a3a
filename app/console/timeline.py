"""The ticket's timeline and routing explanations in Russian words.

Events keep codes and the system's own English reasons; the console turns them into words at
display time, from the event's structured data (a routing event's method, rule, keywords,
confidence) rather than from its English sentence. Only what a person wrote (a reason for a
hold, a re-route, a return) is shown as it was written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.access.visibility import seen_ids
from app.console import labels
from app.console.duplicate_view import why as duplicate_why
from app.console.targets import deadline_reason
from app.models.auth import ApiKey
from app.models.tickets import Ticket, TicketEvent
from app.models.users import ConsoleUser
from app.sla.rules import AT_RISK_SHARE
from app.tickets.presenters import event_links

NO_RULE = "правила не подошли"


@dataclass(frozen=True)
class Names:
    """Names by code for one page: departments, categories, console users (by login) and
    integration keys (by actor, «key:1»); ticket numbers by id."""

    departments: Mapping[str, str]
    categories: Mapping[str, str]
    users: Mapping[str, str]
    tickets: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    at: datetime
    actor: str
    title: str
    detail: str  # plain text after the title ("" for none)


async def user_names(session: AsyncSession, actors: Iterable[str]) -> dict[str, str]:
    """The display name (else the login) of every console user among ``actors``, and the
    name of every integration key (by its actor, «key:1»)."""
    actors = list(actors)
    logins = {a.removeprefix("user:") for a in actors if a.startswith("user:")}
    keys = {int(a[4:]) for a in actors if a.startswith("key:") and a[4:].isdigit()}
    names: dict[str, str] = {}
    if logins:
        query = select(ConsoleUser.login, ConsoleUser.name).where(
            col(ConsoleUser.login).in_(sorted(logins))
        )
        names.update({login: name or login for login, name in (await session.exec(query)).all()})
    if keys:
        found = select(ApiKey.id, ApiKey.name).where(col(ApiKey.id).in_(sorted(keys)))
        names.update({f"key:{i}": name for i, name in (await session.exec(found)).all() if name})
    return names


async def ticket_numbers(
    session: AsyncSession, events: Iterable[TicketEvent], principal: Principal
) -> dict[int, str]:
    """The numbers of the tickets the events name (a duplicate, a suggestion, a repeat) that
    the viewer sees, as the API's timeline shows them (another reads «другое обращение»)."""
    ids = await seen_ids(session, principal, event_links(list(events)))
    if not ids:
        return {}
    rows = await session.exec(select(Ticket.id, Ticket.number).where(col(Ticket.id).in_(ids)))
    return {i: number for i, number in rows.all() if i is not None}


def actor_name(actor: str, users: Mapping[str, str]) -> str:
    """Who did it, in words: a person by name, a source by its name, a key by its number."""
    kind, _, rest = actor.partition(":")
    if actor in labels.ACTOR:
        return labels.ACTOR[actor]
    if kind == "user":
        return users.get(rest, rest)
    if kind == "key":
        return f"интеграция «{users[actor]}»" if actor in users else f"интеграция (ключ {rest})"
    if kind == "connector":
        return labels.SOURCE.get(rest, rest)
    if kind in ("system", "worker"):
        return "система"
    return actor


def routing_reason(
    method: str,
    *,
    rule: str | None = None,
    keywords: Sequence[str] = (),
    category: str | None = None,
    confidence: float | None = None,
) -> str | None:
    """Why routing chose the department, from what it recorded; None for a person's move."""
    share = f"{confidence * 100:.0f} %" if confidence is not None else None
    if method == "rule":
        text = f"правило «{rule}»" if rule else "правило"
        return text + (f": в тексте {', '.join(keywords)}" if keywords else "")
    if method == "category":
        return f"{NO_RULE}; категория «{category}» закреплена за отделом"
    if method == "model":
        return f"{NO_RULE}; отдел предложила модель" + (f" (уверенность {share})" if share else "")
    if method == "triage":
        text = f"{NO_RULE}, а у категории нет отдела"
        return text + (f"; уверенность модели {share} — ниже порога" if share else "")
    if method == "explicit":
        return "отдел указан при создании обращения"
    return None


def status_reason(reason: str) -> str:
    """A reason the code writes itself in Russian; a person's words as they are. Tickets
    reopened by a rating before it was stored in Russian read «citizen rating: 2»."""
    if reason in labels.REASON:
        return labels.REASON[reason]
    rating = reason.removeprefix("citizen rating: ")
    if rating == reason:
        return reason
    said = f"{rating} из 5" if rating.isdigit() else f"«{rating}»"
    return f"оценка гражданина: {said} — обращение возобновлено"


def _title(event: TicketEvent) -> str:
    """The event's name; the SLA sweeper's marks say which deadline and how far it went."""
    title = labels.EVENT.get(event.type, "событие")
    target = labels.SLA_TARGET.get(str((event.data or {}).get("target")))
    if event.type == "sla_at_risk":
        title += f" (использовано {AT_RISK_SHARE * 100:.0f} % срока)"
    if event.type in ("sla_at_risk", "sla_breached") and target:
        return f"{target}: {title}"
    return title


def _quoted(text: str | None) -> str:
    return f" («{text}»)" if text else ""


def _routed(data: Mapping[str, Any], ticket: Ticket, names: Names) -> str:
    depts = names.departments
    before, after = str(data.get("department_before") or ""), str(data.get("department"))
    moved = f"{depts.get(before, before)} → " if before else ""
    moved += depts.get(after, after)
    rule = data.get("rule") or {}
    category = data.get("category") or ticket.category_code
    why = routing_reason(
        str(data.get("method", "")),
        rule=rule.get("name") if isinstance(rule, dict) else None,
        keywords=data.get("keywords") or (),
        category=names.categories.get(category, category),
        confidence=data.get("confidence"),
    )
    return moved + _quoted(why or data.get("reason"))


def _changes(data: Mapping[str, Any]) -> str:
    order = list(labels.CHANGED)  # stored as JSONB, the keys come back in its order
    changes = sorted(data.get("changes") or {}, key=lambda k: order.index(k) if k in order else 99)
    keys = dict.fromkeys(labels.CHANGED.get(k, labels.CHANGED_OTHER) for k in changes)
    return f"изменено: {', '.join(keys)}" if keys else ""


def _feedback(data: Mapping[str, Any]) -> str:
    sentiment = labels.SENTIMENT.get(data.get("sentiment", ""), "")
    value = data.get("source_value")
    text = ", ".join(p for p in (f"«{value}»" if value else "", sentiment) if p)
    return text + ("; обращение возобновлено" if data.get("reopen") else "")


def _delivery(data: Mapping[str, Any]) -> str:
    """The attempt's outcome and, when it failed, the kind of error (no words of the source)."""
    outcome = str(data.get("outcome", ""))
    text = labels.DELIVERY_OUTCOME.get(outcome, outcome)
    if outcome in ("retry", "dead"):
        reason = str(data.get("reason") or "")
        text += f" — {labels.DELIVERY_ERROR.get(reason, labels.DELIVERY_ERROR_OTHER)}"
        code = data.get("status_code")
        text += f" (код ответа {code})" if isinstance(code, int) else ""
        attempt = data.get("attempt")
        if outcome == "dead" and isinstance(attempt, int) and attempt > 1:
            text += f", попыток: {attempt}"
    return text


def _number(data: Mapping[str, Any], key: str, names: Names) -> str:
    value = data.get(key)
    return names.tickets.get(value, "другое обращение") if isinstance(value, int) else ""


# Events that name one other ticket: the words before its number.
OTHER_TICKET = {
    "duplicate_linked": ("duplicate", ""),
    "duplicate_unlinked": ("duplicate", ""),
    "duplicate_dismissed": ("candidate", "не дубликат "),
    "repeat_flagged": ("repeat_of", "повтор закрытого "),
}


def _ticket_detail(kind: str, data: Mapping[str, Any], names: Names) -> str:
    if kind == "duplicate_suggested":
        return f"похоже на {_number(data, 'candidate', names)}: {duplicate_why(data)}"
    key, words = OTHER_TICKET[kind]
    return words + _number(data, key, names)


def _detail(event: TicketEvent, ticket: Ticket, names: Names) -> str:
    data, kind = event.data or {}, event.type
    if kind == "status_changed":
        before, after = str(data.get("before")), str(data.get("after"))
        reason = data.get("reason")
        moved = f"{labels.STATUS.get(before, before)} → {labels.STATUS.get(after, after)}"
        if data.get("duplicate_of") is not None and after == "merged":
            moved += f", дубликат {_number(data, 'duplicate_of', names)}"
        moved += _quoted(status_reason(reason) if reason else None)
        if after == "merged" and "score" in data:  # what detection measured (dedup.merge)
            moved += f": {duplicate_why(data)}"
        return moved
    if kind == "delivery_attempt":
        return _delivery(data)
    if kind in OTHER_TICKET or kind == "duplicate_suggested":
        return _ticket_detail(kind, data, names)
    if kind in ("routed", "rerouted"):
        return _routed(data, ticket, names)
    if kind in ("answer", "source_answer"):
        which = "окончательный" if data.get("kind") == "final" else "промежуточный"
        main = _number(data, "from_ticket", names)
        return which + (f" (переслан из основного {main})" if main else "")
    if kind == "comment":
        return str(data.get("text", ""))
    if kind in ("updated", "source_updated"):
        return _changes(data)
    if kind == "feedback":
        return _feedback(data)
    if kind == "deadlines":
        return deadline_reason(data, ticket)
    if kind == "assigned":
        return f"{data.get('before') or '—'} → {data.get('after') or '—'}"
    if kind == "bouncing":
        return f"перенаправлено {data.get('reroute_count')} раз"
    return ""


def rows(events: Iterable[TicketEvent], ticket: Ticket, names: Names) -> list[Row]:
    """The timeline as the console shows it."""
    return [
        Row(
            e.at,
            actor_name(e.actor, names.users),
            _title(e),
            _detail(e, ticket, names),
        )
        for e in events
    ]
