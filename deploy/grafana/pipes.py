"""The pipes' rows of «Обращения: сроки и качество»: inbound, connectors, the outbox, the API."""

from __future__ import annotations

from grafana_foundation_sdk.models.dashboard import ValueMap, ValueMappingResult
from panels import (
    CONNECTOR_NAMES,
    SOURCE_NAMES,
    TARGET_NAMES,
    bars,
    display_names,
    query,
    series,
    thresholds,
)

LAST_SUCCESS = "max by (connector) (appeals_connector_last_success_timestamp_seconds)"
LAST_FAILURE = "max by (connector) (appeals_connector_last_failure_timestamp_seconds)"
# Every known connector is exposed with both times at 0 ("never") from start-up; the panel shows
# those that never succeeded by these values, mapped to words.
NEVER_FAILED = -2.0  # never succeeded, failed: red
NEVER_USED = -1.0  # neither: nothing was ever tried
SIGNATURE_FAILURES = 'appeals_webhook_deliveries_total{outcome="signature"}'


def per_hour(title: str, description: str, axis: str, expr: str, legend: str) -> object:
    return series(title, description, unit="short", axis=axis).with_target(query(expr, legend))


def since_success() -> object:
    """Age of each connector's last success; «никогда» for one that only ever failed."""
    expr = (
        f"(time() - ({LAST_SUCCESS} > 0))"
        f" or (({LAST_FAILURE} > 0) * 0 + {NEVER_FAILED:g})"
        f" or ({LAST_SUCCESS} * 0 + {NEVER_USED:g})"
    )
    never = ValueMap(
        options={
            f"{NEVER_FAILED:g}": ValueMappingResult(text="никогда, только сбои", color="red"),
            f"{NEVER_USED:g}": ValueMappingResult(text="не использовался", color="text"),
        }
    )
    return (
        bars(
            "Время с последнего успеха коннектора",
            "Сколько прошло с последней успешной операции коннектора. «Никогда, только сбои» — "
            "коннектор ни разу не сработал, но пытался (например, адрес ответов ПОС не "
            "принимает соединений); «не использовался» — ни успехов, ни сбоев. Тишина без сбоев "
            "(нечего отправлять) — не авария; тревога — 3 часа без успеха и сбои после "
            "последнего успеха, в том числе у коннектора, который ни разу не сработал.",
            unit="s",
        )
        .min(0)
        .thresholds(thresholds((None, "green"), (3600, "orange"), (3 * 3600, "red")))
        .mappings([never])
        .with_target(query(expr, "{{connector}}", instant=True))
    )


def channels() -> list:
    deliveries = "appeals_outbox_deliveries_total"
    backlog = series(
        "Очередь исходящих сообщений",
        "Неотправленные сообщения (ответы, статусы, уведомления) по состоянию, сейчас.",
        unit="short",
        axis="сообщений",
    )
    states = (
        ("pending", "ждут отправки"),
        ("sending", "отправляются"),
        ("dead", "доставка прекращена"),
    )
    for ref, (state, label) in zip("ABC", states, strict=True):
        expr = f'sum(appeals_outbox_backlog_messages{{state="{state}"}})'
        backlog = backlog.with_target(query(expr, label, ref))
    return [
        display_names(
            per_hour(
                "Новые обращения в час по источникам",
                "Обращения, созданные из входящих за последний час, по источнику.",
                "обращений в час",
                "sum by (source) (increase(appeals_tickets_received_total[1h]))",
                "{{source}}",
            ),
            SOURCE_NAMES,
        ),
        display_names(
            per_hour(
                "Вебхуки с неверной подписью в час",
                "Входящие доставки, отклонённые из-за подписи (401), за последний час.",
                "доставок в час",
                f"sum by (source) (increase({SIGNATURE_FAILURES}[1h]))",
                "{{source}}",
            ),
            SOURCE_NAMES,
        ),
        display_names(
            per_hour(
                "Сбои коннекторов в час",
                "Сбои входящих, опроса ПОС и отправки ответов за последний час (любая причина).",
                "сбоев в час",
                "sum by (connector) (increase(appeals_connector_failures_total[1h]))",
                "{{connector}}",
            ),
            CONNECTOR_NAMES,
        ),
        display_names(since_success(), CONNECTOR_NAMES),
        display_names(
            per_hour(
                "Повторные попытки доставки в час",
                "Попытки отправить исходящее, которые будут повторены (429, 5xx, сеть), за час.",
                "попыток в час",
                f'sum by (target) (increase({deliveries}{{outcome="retry"}}[1h]))',
                "{{target}}",
            ),
            TARGET_NAMES,
        ),
        display_names(
            per_hour(
                "Отказы доставки в час",
                "Исходящие, доставка которых прекращена (4xx, нет адреса, исчерпаны попытки), "
                "за час.",
                "сообщений в час",
                f'sum by (target) (increase({deliveries}{{outcome="dead"}}[1h]))',
                "{{target}}",
            ),
            TARGET_NAMES,
        ),
        backlog,
        series(
            "Старейшее неотправленное сообщение",
            "Сколько ждёт самое старое сообщение в очереди (ждут отправки или отправляются).",
            unit="s",
            axis="ожидание",
        ).with_target(
            query(
                'max(appeals_outbox_oldest_pending_age_seconds{state=~"pending|sending"})',
                "старейшее",
            )
        ),
    ]


def api() -> list:
    return [
        series(
            "API: доля ответов 5xx",
            "Доля ответов API с кодом 5xx за 5 минут (appeals:http_5xx:ratio_rate5m).",
            unit="percentunit",
            axis="доля 5xx",
        ).with_target(query("appeals:http_5xx:ratio_rate5m", "доля 5xx")),
        series(
            "API: время ответа, 95-й процентиль",
            "95-й процентиль длительности запросов к API за 5 минут, все реплики.",
            unit="s",
            axis="секунд",
        ).with_target(
            query(
                "histogram_quantile(0.95, sum by (le) "
                "(rate(appeals_http_request_duration_seconds_bucket[5m])))",
                "p95",
            )
        ),
    ]
