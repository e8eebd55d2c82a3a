"""The intake row of «Обращения: сроки и качество»: the inbox a 202 stores deliveries in and the
pipeline that makes tickets of them (how much waits, how long, how fast, in what batches, with
what outcome). The two gauges are read from the database at scrape time, the same on every
replica: ``max``, never ``sum``."""

from __future__ import annotations

from panels import SOURCE_NAMES, display_names, query, series, thresholds

# What the pipeline made of a delivery (appeals_intake_items_total{outcome}).
OUTCOME_NAMES = {
    "created": "новые обращения",
    "updated": "обновлены",
    "unchanged": "без изменений",
    "stale": "устаревшие снимки",
    "invalid": "в карантине",
}
# AppealsIntakeBacklog (deploy/prometheus/rules/alerts.yml): the oldest waits over a minute.
ALERT_AGE = 60


def waiting() -> object:
    return display_names(
        series(
            "Входящие в очереди на обработку",
            "Доставки, принятые (ответ 202) и ещё не превращённые в обращения, по источнику, "
            "сейчас: вебхуки, строки выгрузок Excel, опрос ПОС. В тишине — 0; под нагрузкой "
            "очередь растёт и за секунды разбирается.",
            unit="short",
            axis="доставок",
        ).with_target(query("max by (source) (appeals_intake_backlog)", "{{source}}")),
        SOURCE_NAMES,
    )


def oldest() -> object:
    return display_names(
        series(
            "Старейшая необработанная доставка",
            "Сколько ждёт самая старая принятая и ещё не обработанная доставка, по источнику "
            "(0 — очередь пуста). Тревога — дольше минуты в течение 2 минут: обработка "
            "входящих остановилась или не успевает.",
            unit="s",
            axis="ожидание",
        )
        .thresholds(thresholds((None, "green"), (ALERT_AGE, "red")))
        .with_target(
            query("max by (source) (appeals_intake_oldest_pending_age_seconds)", "{{source}}")
        ),
        SOURCE_NAMES,
    )


def latency() -> object:
    panel = series(
        "Время от приёма до обращения",
        "Время от приёма доставки (ответ 202) до её итога (обращение создано или обновлено), "
        "все источники: медиана и 95-й процентиль за 5 минут (оценка по корзинам гистограммы). "
        "Нет доставок за 5 минут — нет значения.",
        unit="s",
        axis="секунд",
    )
    for ref, (q, label) in zip("AB", (("0.5", "медиана"), ("0.95", "p95")), strict=True):
        expr = (
            f"histogram_quantile({q}, sum by (le) "
            "(rate(appeals_intake_latency_seconds_bucket[5m])))"
        )
        panel = panel.with_target(query(expr, label, ref))
    return panel


def batches() -> object:
    family = "appeals_intake_batch_size"
    mean = f"sum(rate({family}_sum[5m])) / sum(rate({family}_count[5m]))"
    p95 = f"histogram_quantile(0.95, sum by (le) (rate({family}_bucket[5m])))"
    return (
        series(
            "Размер пакета обработки входящих",
            "Сколько доставок обработка входящих берёт за один раз (одна транзакция), за 5 "
            "минут: в среднем и 95-й процентиль (оценка по корзинам гистограммы). В тишине — "
            "по одной, под нагрузкой — сотни.",
            unit="short",
            axis="доставок в пакете",
        )
        .with_target(query(mean, "в среднем", "A"))
        .with_target(query(p95, "p95", "B"))
    )


def outcomes() -> object:
    return display_names(
        series(
            "Обработанные входящие в час по итогам",
            "Доставки, которые обработка входящих закончила за последний час, по итогу: новое "
            "обращение, обновлено, без изменений, устаревший снимок, в карантине (не удалось "
            "обработать). Повторы и отклонённые при приёме сюда не входят.",
            unit="short",
            axis="доставок в час",
        ).with_target(
            query("sum by (outcome) (increase(appeals_intake_items_total[1h]))", "{{outcome}}")
        ),
        OUTCOME_NAMES,
    )


def intake() -> list:
    return [waiting(), oldest(), latency(), batches(), outcomes()]
