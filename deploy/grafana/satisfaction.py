"""The satisfaction row of «Обращения: сроки и качество»: citizens' ratings of the answers."""

from __future__ import annotations

from panels import DEPT, bars, figure, named, query, series, thresholds

SENTIMENTS = (
    ("positive", "положительные"),
    ("neutral", "нейтральные"),
    ("negative", "отрицательные"),
)


FEEDBACK = "appeals_citizen_feedback_total"
RATED = "appeals_answers_rated_total"  # answered tickets with a rating, each once


def satisfaction() -> list:
    ratings = bars(
        "Отзывы за 30 дней по отделам",
        "Оценки граждан за 30 дней (ПОС «Оценка», ИМ «Причина закрытия», чат-бот, операторы), "
        "по отделам и тону. Показаны только ненулевые.",
        unit="short",
    ).decimals(0)
    for ref, (sentiment, label) in zip("ABC", SENTIMENTS, strict=True):
        expr = named(
            f'sum by (department) (increase({FEEDBACK}{{sentiment="{sentiment}",{DEPT}}}[30d]))'
        )
        ratings = ratings.with_target(
            query(f"{expr} > 0", f"{{{{name}}}}: {label}", ref, instant=True)
        )
    positive_7d = f'sum by (department) (increase({FEEDBACK}{{sentiment="positive",{DEPT}}}[7d]))'
    all_7d = f"sum by (department) (increase({FEEDBACK}{{{DEPT}}}[7d]))"
    positive_30d = f'sum(increase({FEEDBACK}{{sentiment="positive",{DEPT}}}[30d]))'
    all_30d = f"sum(increase({FEEDBACK}{{{DEPT}}}[30d]))"
    return [
        figure(
            "Положительные отзывы за 30 дней",
            "Доля положительных среди всех оценок граждан за 30 дней (выбранные отделы).",
            unit="percentunit",
        )
        .thresholds(thresholds((None, "red"), (0.5, "orange"), (0.7, "green")))
        .with_target(query(f"{positive_30d} / ({all_30d} > 0)", "доля", instant=True)),
        series(
            "Доля положительных отзывов по отделам, 7 дней",
            "Положительные / все оценки за скользящие 7 дней; отдел без оценок не показан.",
            unit="percentunit",
            axis="доля положительных",
            span=12,
        )
        .max(1)
        .with_target(query(named(f"{positive_7d} / ({all_7d} > 0)"), "{{name}}")),
        figure(
            "Ответы без отзыва за 30 дней (весь город)",
            "Доля окончательных ответов за 30 дней, которые гражданин не оценил: 1 − оценённые "
            "ответы / окончательные ответы. Обращение с ответом и оценкой считается оценённым "
            "один раз, когда у него впервые есть и то и другое (оценка, пришедшая до ответа, — "
            "в момент ответа); оценки обращений без ответа сюда не входят. Не меньше 0: ответ, "
            "данный раньше 30 дней, может быть оценён в эти 30 дней.",
            unit="percentunit",
        ).with_target(
            query(
                f"clamp_min(1 - sum(increase({RATED}[30d])) / "
                "(sum(increase(appeals_resolution_seconds_count[30d])) > 0), 0)",
                "доля",
                instant=True,
            )
        ),
        ratings,
    ]
