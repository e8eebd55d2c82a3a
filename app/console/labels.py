"""Russian names of statuses, sources, kinds and timeline events for the console."""

from __future__ import annotations

STATUS = {
    "new": "новое",
    "routed": "направлено",
    "in_progress": "в работе",
    "on_hold": "приостановлено",
    "answered": "дан ответ",
    "closed": "закрыто",
    "rejected": "отклонено",
    "merged": "объединено",
}
SOURCE = {
    "feedback_platform": "ПОС (Госуслуги)",
    "incident_management": "Инцидент Менеджмент",
    "chatbot": "Чат-бот",
    "open311": "Open311",
    "api": "Вручную / API",
}
KIND = {
    "pos_message": "сообщение ПОС",
    "fz59_appeal": "обращение по 59-ФЗ",
    "social_post": "пост в соцсети",
    "anonymous_report": "анонимное сообщение",
    "open311_request": "заявка Open311",
    "direct_request": "звонок или визит",
}
EVENT = {
    "created": "создано",
    "routed": "направлено",
    "rerouted": "перенаправлено",
    "status_changed": "смена статуса",
    "answer": "ответ гражданину",
    "comment": "комментарий",
    "assigned": "назначено",
    "deadlines": "сроки",
    "delivery_attempt": "доставка ответа",
    "duplicate_dismissed": "не дубликат",
}
DONE = {
    "taken": "Обращение взято в работу.",
    "held": "Обращение приостановлено.",
    "answered": "Ответ сохранён и отправлен в источник.",
    "rejected": "Обращение отклонено.",
    "returned": "Обращение возвращено как не относящееся к отделу.",
    "extended": "Срок продлён, гражданин будет уведомлён.",
    "routed": "Обращение направлено в отдел.",
    "merged": "Обращение объединено с основным как дубликат.",
}
ROLE = {"operator": "оператор", "manager": "руководитель", "admin": "администратор"}
