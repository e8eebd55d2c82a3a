"""The weekly digest in words: Markdown for the column and a draft paragraph in the head's voice.
Every share is printed with the counts behind it: «50 % (1 из 2)», never «100 %» alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.reports.charts import whole_percent
from app.reports.digest_incidents import waited

if TYPE_CHECKING:
    from app.reports.digest import Digest


def plural(n: int, one: str, few: str, many: str) -> str:
    """«1 обращение», «3 обращения», «5 обращений»."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def appeals(n: int) -> str:
    return f"{n} {plural(n, 'обращение', 'обращения', 'обращений')}"


def share(part: int, whole: int) -> str:
    """«50 % (1 из 2)»; «—» when there is nothing to divide by."""
    if not whole:
        return "—"
    return f"{whole_percent(part, whole)} % ({part} из {whole})"


_SUMMED = ("received", "answered", "answered_judged", "on_time", "overdue_open", "ratings")


def department_totals(digest: Digest) -> dict[str, int]:
    """The departments table's «Всего» row: each count summed over the departments."""
    totals = {
        name: sum(int(d[name]) for d in digest.departments)  # type: ignore[call-overload]
        for name in (*_SUMMED, "positive")
    }
    return totals


def week_answers(digest: Digest) -> tuple[int, int, int]:
    """The week's answers over every department (the table's «Всего» row): given, of them with
    a deadline, of those on time — the only figures the draft quotes on answers."""
    t = department_totals(digest)
    return t["answered"], t["answered_judged"], t["on_time"]


def _top(digest: Digest, n: int = 3) -> str:
    return ", ".join(f"«{t.name}» ({t.count})" for t in digest.top_themes[:n])


def draft_paragraph(digest: Digest) -> str:
    """A paragraph the press officer edits, not one they must write: plain facts, first person
    plural, no names, no addresses of people."""
    days = digest.dates.replace("–", " по ")
    parts = [
        f"С {days} в администрацию поступило {appeals(digest.total)} жителей"
        f" (неделей раньше — {digest.previous_total})."
    ]
    if digest.top_themes:
        parts.append(f"Больше всего вы писали на темы: {_top(digest)}.")
    answered, judged, on_time = week_answers(digest)  # every theme: the table's «Всего»
    if answered:
        word = plural(answered, "ответ", "ответа", "ответов")
        line = f"За неделю мы дали {answered} {word}, в том числе на обращения прошлых недель"
        if judged:
            line += f"; в срок — {share(on_time, judged)} из ответов, у которых был срок"
        parts.append(line + ".")
    if digest.growing_themes:
        rising = digest.growing_themes[0]
        parts.append(
            f"Стало больше обращений по теме «{rising.name}»: {rising.previous} → {rising.count};"
            " разбираемся с причинами."
        )
    if digest.incidents:
        parts.append(_incidents_sentence(digest))
    overdue = sum(int(d["overdue_open"]) for d in digest.departments)  # type: ignore[call-overload]
    if overdue:
        parts.append(
            f"На конец недели {appeals(overdue)} оставалось без ответа дольше положенного"
            " срока — каждое у меня на контроле."
        )
    parts.append("Спасибо всем, кто пишет: каждое обращение читают и по каждому отвечают.")
    return " ".join(parts)


def _incidents_sentence(digest: Digest) -> str:
    """The draft's line on mass incidents: how many in all (confirmed, still being checked),
    the largest, and one answer for all only for those that had one."""
    totals = digest.incident_totals
    n = max(totals.total, len(digest.incidents))
    big = digest.incidents[0]
    word = plural(n, "массовая проблема", "массовые проблемы", "массовых проблем")
    line = f"На неделе была {n} {word}" if n == 1 else f"На неделе было {n} {word}"
    if totals.checking == 0:
        line += " (подтверждена)" if n == 1 else " (все подтверждены)"
    elif totals.confirmed == 0:
        line += " (ещё проверяется)" if n == 1 else " (все ещё проверяются)"
    else:
        line += f" (подтверждено {totals.confirmed}, ещё проверяется {totals.checking})"
    line += f"; крупнейшая — «{big.title}» ({big.area}): {appeals(big.tickets)}."
    answered = totals.with_message
    if answered:
        told = "Каждому" if answered == n else f"По {answered} из них каждому"
        line += f" {told}, кто написал, мы ответили одним сообщением через тот канал, где он писал"
        if big.first_message_minutes is not None:
            line += (
                f", — по крупнейшей первое ушло через {waited(big.first_message_minutes)}"
                " после первого обращения"
            )
        line += "."
    return line


def _incident_lines(digest: Digest) -> list[str]:
    lines = ["", "## Массовые инциденты недели"]
    if not digest.incidents:
        return [*lines, "- нет"]
    totals = digest.incident_totals
    if totals.total > len(digest.incidents):
        lines.append(
            f"Всего {totals.total}: подтверждено {totals.confirmed}, проверяется "
            f"{totals.checking}, с сообщением жителям {totals.with_message}; "
            f"ниже {len(digest.incidents)} крупнейших."
        )
    for i in digest.incidents:
        sources = ", ".join(f"{name} — {n}" for name, n in i.by_source.items()) or "нет"
        lines.append(f"- **{i.title}** ({i.area}) — {appeals(i.tickets)} ({sources}); {i.status}")
        lines.append(f"  - первое сообщение жителям: {waited(i.first_message_minutes)}")
        if i.message:
            lines.append(f"  - сообщение: «{i.message}»")
    return lines


def _department_rows(digest: Digest) -> list[str]:
    rows = [
        "| отдел | поступило | ответов за неделю | в срок (из ответов со сроком) "
        "| просрочено на конец недели | довольны ответом |",
        "|---|---|---|---|---|---|",
    ]
    for d in digest.departments:
        rows.append(
            f"| {d['name']} | {d['received']} | {d['answered']} "
            f"| {share(int(d['on_time']), int(d['answered_judged']))} "  # type: ignore[call-overload]
            f"| {d['overdue_open']} | {share(int(d['positive']), int(d['ratings']))} |"  # type: ignore[call-overload]
        )
    if len(digest.departments) > 1:
        t = department_totals(digest)
        rows.append(
            f"| **Всего** | {t['received']} | {t['answered']} "
            f"| {share(t['on_time'], t['answered_judged'])} | {t['overdue_open']} "
            f"| {share(t['positive'], t['ratings'])} |"
        )
    return rows


def to_markdown(digest: Digest) -> str:
    """The digest as Markdown for the press service."""
    lines = [
        f"# Обращения за неделю {digest.dates} ({digest.week})",
        "",
        f"Всего: {digest.total} (неделей раньше: {digest.previous_total}).",
        "",
        "## Черновик для колонки «Глава в ответе»",
        "",
        digest.draft,
        "",
        "## Главные темы",
    ]
    for t in digest.top_themes:
        growth = f", {t.growth_percent:+g} %" if t.growth_percent is not None else ""
        done = f"; ответов за неделю (и на прежние обращения): {t.answered}"
        if t.answered_judged:
            done += f", в срок {share(t.answered_on_time, t.answered_judged)}"
        lines.append(f"- **{t.name}** — {t.count} (было {t.previous}{growth}){done}")
        for h in t.highlights:
            place = f", {h['address']}" if h["address"] else ""
            answer = f": {h['answer']}" if h.get("answer") else ""
            lines.append(f"  - ответ дан {h['answered_on']} — {h['number']}{place}{answer}")
    lines += ["", "## Растущие темы"]
    lines += [f"- {t.name}: {t.previous} → {t.count}" for t in digest.growing_themes] or ["- нет"]
    lines += ["", "## Районы"]
    lines += [f"- {d['name']}: {d['count']}" for d in digest.districts] or ["- нет"]
    lines += ["", "## Адреса, где одна проблема повторяется"]
    lines += [
        f"- {a['address']} — {a['family_name']}: {a['count']}" for a in digest.hot_addresses
    ] or ["- нет"]
    lines += _incident_lines(digest)
    lines += ["", "## Отделы", "", *_department_rows(digest)]
    for t in digest.top_themes:
        if t.examples:
            lines += ["", f"## {t.name}: примеры обращений (без имён, квартир и диагнозов)", ""]
            lines += [f"> {e['text']}\n>\n> — {e['number']}\n" for e in t.examples]
    return "\n".join(lines).rstrip() + "\n"
