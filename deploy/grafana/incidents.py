"""The row «Массовые инциденты» of «Обращения: сроки и качество»: how many mass incidents are
open and in what status, how long the oldest suspected one has waited for an operator (the
alert AppealsIncidentNotConfirmed fires past 30 minutes), and how many tickets were linked to
incidents, by detection or by hand. The two gauges are read from the database at scrape time,
the same on every replica: ``max``, never ``sum``."""

from __future__ import annotations

from panels import display_names, query, series, thresholds

# appeals_incidents_open{status}: the open statuses (app/models/incidents.py).
STATUS_NAMES = {
    "suspected": "предполагаемые (ждут решения)",
    "confirmed": "подтверждённые",
    "resolving": "устраняются (жителям написали)",
}
# appeals_incident_tickets_total{how}: who linked the ticket.
HOW_NAMES = {"rule": "автоматически", "operator": "вручную"}
# AppealsIncidentNotConfirmed (deploy/prometheus/rules/alerts.yml): 30 minutes.
ALERT_AGE = 1800


def open_incidents() -> object:
    return display_names(
        series(
            "Открытые массовые инциденты по статусам",
            "Массовые инциденты, открытые сейчас: предполагаемые (система заметила всплеск "
            "обращений, оператор ещё не подтвердил), подтверждённые и те, по которым жителям "
            "уже написали промежуточное сообщение. Закрытые и отклонённые сюда не входят.",
            unit="short",
            axis="инцидентов",
        ).with_target(query("max by (status) (appeals_incidents_open)", "{{status}}")),
        STATUS_NAMES,
    )


def waiting() -> object:
    return (
        series(
            "Неподтверждённый инцидент ждёт",
            "Сколько ждёт решения самый старый предполагаемый инцидент (0 — таких нет). "
            "Тревога — дольше 30 минут: жителям целого района некому ответить; подтвердите "
            "или отклоните его в пульте («Инциденты»).",
            unit="s",
            axis="ожидание",
        )
        .thresholds(thresholds((None, "green"), (ALERT_AGE, "red")))
        .with_target(
            query("max(appeals_incident_oldest_suspected_age_seconds)", "старейший предполагаемый")
        )
    )


def linked() -> object:
    return display_names(
        series(
            "Обращения, привязанные к инцидентам, в час",
            "Обращения, привязанные к массовым инцидентам за последний час: автоматически "
            "(обнаружение всплеска или приём новых обращений) и вручную (оператор в пульте или "
            "через API). Каждое получает сообщение инцидента по своему каналу.",
            unit="short",
            axis="обращений в час",
        ).with_target(
            query("sum by (how) (increase(appeals_incident_tickets_total[1h]))", "{{how}}")
        ),
        HOW_NAMES,
    )


def incidents() -> list:
    return [open_incidents(), waiting(), linked()]
