"""Russian names of the codes in series labels that are not departments: sources, outbox targets,
connectors. One place for both consumers: the scrape exposes them as info series
(``appeals_source_info{source,name}``, ``appeals_outbox_target_info{target,name}``,
``appeals_connector_info{connector,name}``, 1 each) that the alerts join, as they join
``appeals_department_info``; the dashboard builder (deploy/grafana/panels.py) shows the same
names in its legends. ``tests/unit/test_metric_label_sets.py`` checks every known code has one.
"""

from __future__ import annotations

from app.metrics import catalog
from app.metrics.collector import Row

SOURCE_NAMES = {
    "feedback_platform": "ПОС (Госуслуги)",
    "incident_management": "Инцидент Менеджмент",
    "chatbot": "Чат-бот",
    "open311": "Open311",
    "api": "Операторы и API",
}
OUTBOX_TARGET_NAMES = {
    "feedback_platform": "ПОС",
    "incident_management": "Инцидент Менеджмент",
    "telegram": "Чат-бот",
    "department_webhook": "Вебхуки отделов",
    "sstu": "ССТУ.РФ",
}
CONNECTOR_NAMES = {
    "feedback_platform": "ПОС: входящие",
    "feedback_platform.poll": "ПОС: опрос",
    "feedback_platform.answers": "ПОС: ответы",
    "incident_management": "ИМ: входящие",
    "incident_management.answers": "ИМ: ответы",
    "telegram": "Чат-бот: ответы",
    "department_webhook": "Вебхуки отделов",
    "sstu.upload": "ССТУ.РФ: выгрузка",
}


def info_rows() -> list[Row]:
    """The three info series, 1 for every named code."""
    return [
        (family.name, {label: code, "name": name}, 1.0)
        for family, label, names in (
            (catalog.SOURCE_INFO, "source", SOURCE_NAMES),
            (catalog.OUTBOX_TARGET_INFO, "target", OUTBOX_TARGET_NAMES),
            (catalog.CONNECTOR_INFO, "connector", CONNECTOR_NAMES),
        )
        for code, name in names.items()
    ]
