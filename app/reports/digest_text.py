"""The weekly digest in words: Markdown for the column and a draft paragraph in the head's voice.
Every share is printed with the counts behind it: «50 % (1 из 2)», never «100 %» alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    return f"{100 * part / whole:.0f} % ({part} из {whole})"


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
    answered = sum(t.answered for t in digest.top_themes)
    judged = sum(t.answered_judged for t in digest.top_themes)
    on_time = sum(t.answered_on_time for t in digest.top_themes)
    if answered:
        word = plural(answered, "ответ", "ответа", "ответов")
        line = f"По этим темам за неделю мы дали {answered} {word}"
        line += f", в срок — {share(on_time, judged)}." if judged else "."
        parts.append(line)
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
            f"{appeals(overdue).capitalize()} пока без ответа дольше положенного срока —"
            " каждое у меня на контроле."
        )
    parts.append("Спасибо всем, кто пишет: каждое обращение читают и по каждому отвечают.")
    return " ".join(parts)


def _incidents_sentence(digest: Digest) -> str:
    """The draft's line on mass incidents: how many, the largest, one answer for all."""
    n = len(digest.incidents)
    big = digest.incidents[0]
    word = plural(n, "массовая проблема", "массовые проблемы", "массовых проблем")
    line = f"На неделе была {n} {word}" if n == 1 else f"На неделе было {n} {word}"
    line += f"; крупнейшая — «{big.title}» ({big.area}): {appeals(big.tickets)}."
    if big.first_message_minutes is not None:
        line += (
            f" Каждому, кто написал, мы ответили одним сообщением через тот канал, где он"
            f" писал, — первое ушло через {waited(big.first_message_minutes)} после первого"
            " обращения."
        )
    return line


def _incident_lines(digest: Digest) -> list[str]:
    lines = ["", "## Массовые инциденты недели"]
    if not digest.incidents:
        return [*lines, "- нет"]
    for i in digest.incidents:
        sources = ", ".join(f"{name} — {n}" for name, n in i.by_source.items()) or "нет"
        lines.append(f"- **{i.title}** ({i.area}) — {appeals(i.tickets)} ({sources}); {i.status}")
        lines.append(f"  - первое сообщение жителям: {waited(i.first_message_minutes)}")
        if i.message:
            lines.append(f"  - сообщение: «{i.message}»")
    return lines


def _department_rows(digest: Digest) -> list[str]:
    rows = [
        "| отдел | поступило | ответов в срок | просрочено на конец недели | довольны ответом |",
        "|---|---|---|---|---|",
    ]
    for d in digest.departments:
        rows.append(
            f"| {d['name']} | {d['received']} "
            f"| {share(int(d['on_time']), int(d['answered_judged']))} "  # type: ignore[call-overload]
            f"| {d['overdue_open']} | {share(int(d['positive']), int(d['ratings']))} |"  # type: ignore[call-overload]
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
        done = f"; ответов за неделю: {t.answered}"
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
