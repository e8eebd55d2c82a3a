"""«Обращения: сроки и качество» (uid appeals-sla-overview): department heads, the press office,
the operators of the pipes. docs/METRICS.md states each panel's definition, as the panels'
descriptions do.

Queries use fixed windows, except the calendar-month figures (Grafana's ``$__range`` over a
panel time of ``now/M``); the real-Prometheus test runs each as written, ``$department`` and
``$__range`` filled in as Grafana fills them.
"""

from __future__ import annotations

from pipes import api, channels

from grafana_foundation_sdk.builders.dashboard import Dashboard, Row
from incidents import incidents
from intake import intake
from panels import DEPT, bars, department_variable, figure, named, query, series, thresholds
from satisfaction import satisfaction

ON_TIME_RULE = (
    "Каждое обращение со сроком решения оценивается один раз: «в срок» — окончательный ответ "
    "дан не позже срока; «просрочено» — срок прошёл без ответа (открытое просроченное обращение "
    "считается просроченным, как в отчёте /api/v1/reports/sla; приостановленное оценивается на "
    "момент приостановки). Доля в срок = «в срок» / («в срок» + «просрочено») среди оценок, "
    "сделанных за период; нет оценок — нет значения. Отчёт берёт обращения, созданные за период: "
    "цифры совпадают для обращений, созданных и оцененных в одном периоде."
)
ON_TIME_GREEN = thresholds((None, "red"), (0.8, "orange"), (0.95, "green"))
TARGETS = (
    ("resolution", "решение"),
    ("first_response", "первый ответ"),
    ("registration", "регистрация 59-ФЗ"),
)
OPEN_STATUSES = (
    ("new", "Новые (разбор)"),
    ("routed", "Переданы в отдел"),
    ("in_progress", "В работе"),
    ("on_hold", "Приостановлены"),
)
SENTIMENTS = (
    ("positive", "положительные"),
    ("neutral", "нейтральные"),
    ("negative", "отрицательные"),
)


def on_time(window: str) -> str:
    """The city's (the chosen departments') on-time share over ``window``."""
    met = f'sum(increase(appeals_sla_met_total{{target="resolution",{DEPT}}}[{window}]))'
    missed = f'sum(increase(appeals_sla_breaches_total{{target="resolution",{DEPT}}}[{window}]))'
    return f"{met} / ({met} + {missed} > 0)"


def deadlines() -> list:
    month = (
        "Доля в срок за текущий календарный месяц (время панели «now/M»), выбранные отделы "
        "вместе. " + ON_TIME_RULE
    )
    rolling_by_department = (
        "Доля в срок за скользящие 30 дней, по каждому отделу (appeals:sla_on_time:ratio30d). "
        + ON_TIME_RULE
    )
    rolling = "Доля в срок за скользящие 30 дней, выбранные отделы вместе. " + ON_TIME_RULE
    previous = (
        "Доля в срок за весь прошлый календарный месяц (время панели «now/M», сдвиг «1M/M»: "
        "с первого по последнее число прошлого месяца), выбранные отделы вместе. " + ON_TIME_RULE
    )
    return [
        bars("В срок за 30 дней, по отделам", rolling_by_department, unit="percentunit")
        .min(0)
        .max(1)
        .thresholds(ON_TIME_GREEN)
        .with_target(
            query(named(f"appeals:sla_on_time:ratio30d{{{DEPT}}}"), "{{name}}", instant=True)
        ),
        figure("В срок в этом месяце", month, unit="percentunit", span=4, height=8)
        .time_from("now/M")
        .thresholds(ON_TIME_GREEN)
        .with_target(query(on_time("$__range"), "в срок", instant=True)),
        figure("В срок в прошлом месяце", previous, unit="percentunit", span=4, height=8)
        .time_from("now/M")
        .time_shift("1M/M")
        .thresholds(ON_TIME_GREEN)
        .with_target(query(on_time("$__range"), "в срок", instant=True)),
        figure("В срок за 30 дней", rolling, unit="percentunit", span=4, height=8)
        .thresholds(ON_TIME_GREEN)
        .with_target(query(on_time("30d"), "в срок", instant=True)),
        overdue_now(),
        breaches_by_hour(),
        figure(
            "Достигли 75 % срока за 24 часа",
            "Обращения, израсходовавшие 75 % срока (первый ответ или решение) за последние "
            "24 часа, по выбранным отделам.",
            unit="short",
            span=24,
            height=4,
        )
        .decimals(0)
        .thresholds(thresholds((None, "green"), (1, "orange")))
        .with_target(
            query(f"sum(increase(appeals_sla_at_risk_total{{{DEPT}}}[24h]))", "обращений")
        ),
    ]


def overdue_now() -> object:
    panel = (
        bars(
            "Просрочено сейчас, по отделам",
            "Открытые обращения, срок которых прошёл, а цель не достигнута: решение и первый "
            "ответ — у обращений в работе (приостановленные не считаются: их срок стоит), "
            "регистрация 59-ФЗ — у любых открытых. Решение считается при каждом опросе, первый "
            "ответ и регистрация — раз в минуту (воркер). Показаны только ненулевые.",
            unit="short",
        )
        .decimals(0)
        .thresholds(thresholds((None, "orange"), (1, "red")))
    )
    for ref, (target, label) in zip("ABC", TARGETS, strict=True):
        expr = named(f'sum by (department) (appeals_tickets_overdue{{target="{target}",{DEPT}}})')
        panel = panel.with_target(query(f"{expr} > 0", f"{{{{name}}}}: {label}", ref, instant=True))
    return panel


def breaches_by_hour() -> object:
    panel = series(
        "Нарушения сроков по часам",
        "Сколько обращений нарушили срок за последний час (appeals:sla_breaches:increase1h), "
        "по отделам и срокам. Показаны только ненулевые.",
        unit="short",
        axis="нарушений за час",
    )
    for ref, (target, label) in zip("ABC", TARGETS, strict=True):
        expr = named(
            f'sum by (department) (appeals:sla_breaches:increase1h{{target="{target}",{DEPT}}})'
        )
        panel = panel.with_target(query(f"{expr} > 0", f"{{{{name}}}}: {label}", ref))
    return panel


def open_work() -> list:
    by_status = series(
        "Открытые обращения по статусам",
        "Открытые обращения выбранных отделов сейчас, по статусу.",
        unit="short",
        axis="обращений",
    )
    for ref, (status, label) in zip("ABCD", OPEN_STATUSES, strict=True):
        expr = f'sum(appeals_tickets_open{{status="{status}",{DEPT}}})'
        by_status = by_status.with_target(query(expr, label, ref))
    return [
        series(
            "Открытые обращения по отделам",
            "Открытые обращения (новые, переданные, в работе, приостановленные) сейчас.",
            unit="short",
            axis="обращений",
        ).with_target(
            query(named(f"sum by (department) (appeals_tickets_open{{{DEPT}}})"), "{{name}}")
        ),
        by_status,
    ]


KIND_NAMES = {
    "social_post": "посты Инцидент Менеджмента",
    "pos_message": "сообщения ПОС",
    "fz59_appeal": "обращения по 59-ФЗ",
}
ANSWERS = {
    "appeals_first_response_seconds": "первого ответа (промежуточного или окончательного)",
    "appeals_resolution_seconds": "окончательного ответа",
}


def percentiles(title: str, family: str, kind: str, *, days: bool) -> object:
    unit, scale, axis = ("d", 86400, "дней") if days else ("h", 3600, "часов")
    panel = series(
        title,
        f"Время от создания обращения до {ANSWERS[family]}, {KIND_NAMES[kind]} "
        f"(kind={kind}), по всему городу: медиана и 90-й процентиль за скользящие 7 дней "
        "(оценка по корзинам гистограммы). Время ответа отдела — в отчёте /api/v1/reports/sla.",
        unit=unit,
        axis=axis,
        span=6,
    )
    for ref, (q, label) in zip("AB", (("0.5", "медиана"), ("0.9", "90-й процентиль")), strict=True):
        expr = (
            f"histogram_quantile({q}, sum by (le) "
            f'(increase({family}_bucket{{kind="{kind}"}}[7d]))) / {scale}'
        )
        panel = panel.with_target(query(expr, label, ref))
    return panel


def answer_times() -> list:
    first, final = "appeals_first_response_seconds", "appeals_resolution_seconds"
    return [
        percentiles("ИМ: первый ответ, часы", first, "social_post", days=False),
        percentiles("ИМ: окончательный ответ, дни", final, "social_post", days=True),
        percentiles("ПОС: ответ на сообщение, дни", final, "pos_message", days=True),
        percentiles("59-ФЗ: ответ на обращение, дни", final, "fz59_appeal", days=True),
    ]


ROWS = (
    ("Сроки", deadlines),
    ("Открытые обращения", open_work),
    ("Время ответа (весь город)", answer_times),
    ("Удовлетворённость граждан", satisfaction),
    ("Каналы: входящие и исходящие", channels),
    ("Приём входящих", intake),
    ("Массовые инциденты", incidents),
    ("API", api),
)


def sla_overview() -> Dashboard:
    """The whole dashboard, row by row."""
    board = (
        Dashboard("Обращения: сроки и качество")
        .uid("appeals-sla-overview")
        .tags(["appeals", "sla"])
        .description("Обращения граждан: сроки, открытая работа, время ответа, отзывы, каналы.")
        .timezone("browser")
        .time("now-7d", "now")
        .refresh("1m")
        .with_variable(department_variable())
    )
    for title, panels in ROWS:
        board = board.with_row(Row(title))
        for panel in panels():
            board = board.with_panel(panel)
    return board
