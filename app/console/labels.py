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
    "sstu_questions": "вопросы для ССТУ.РФ",
    "updated": "изменены сведения",
    "source_updated": "обновлено в источнике",
    "source_answer": "ответ дан в источнике",
    "feedback": "оценка гражданина",
    "citizen_message": "новое сообщение гражданина",
    "bouncing": "пересылается между отделами",
    "duplicate_suggested": "возможный дубликат",
    "repeat_flagged": "повторное обращение",
    "duplicate_linked": "присоединён дубликат",
    "duplicate_unlinked": "дубликат отсоединён",
    "delivery_replayed": "повторная отправка ответа",
    "personal_data_purged": "персональные данные удалены по сроку хранения",
    "registered": "зарегистрировано",
    # recorded by the SLA sweeper's SQL (app.sla.sweeper), «sla_» + the level it marked
    "sla_at_risk": "срок скоро истекает",
    "sla_breached": "срок просрочен",
}
# The SLA sweeper's ``target`` (its sla_at_risk and sla_breached events).
SLA_TARGET = {
    "first_response": "первый ответ",
    "resolution": "решение",
    "registration": "регистрация по 59-ФЗ",
}
# TicketEvent.actor: fixed actors of the system and the command line («user:», «key:» and
# «connector:» actors are named in app.console.timeline).
ACTOR = {
    "system:routing": "маршрутизация",
    "system:outbox": "отправка ответов",
    "system:sla": "контроль сроков",
    "system:dedup": "поиск дубликатов",
    "system:chatbot": "чат-бот",
    "system:feedback_platform_poller": "опрос ПОС",
    "cli": "командная строка",
    "cli:purge": "командная строка (удаление персональных данных)",
    "cli:outbox": "командная строка (отправка ответов)",
    "worker:purge": "удаление персональных данных по сроку",
}
CHANNEL = {
    "gosuslugi": "Госуслуги",
    "vk": "ВКонтакте",
    "ok": "Одноклассники",
    "telegram": "Telegram",
    "web": "сайт",
    "phone": "телефон",
    "email": "эл. почта",
    "visit": "личный приём",
    "mail": "почта",
    "other": "другое",
}
# RoutingDecision.method and the re-routing ``how``.
METHOD = {
    "explicit": "указан источником",
    "rule": "правило",
    "category": "по категории",
    "model": "модель",
    "triage": "разбор",
    "manual": "вручную",
    "returned": "возвращено отделом",
}
# A routing rule's conditions (app.routing.rules.check_rule), named when a rule almost matched.
CONDITION = {
    "source": "источник",
    "kind": "вид обращения",
    "channel": "канал",
    "category": "категория",
    "district": "район",
    "priority": "приоритет",
    "keywords": "ключевые слова",
}
# Fixed reasons the code itself writes on a status change (an operator's own words stay as is).
REASON = {
    "final answer sent": "отправлен окончательный ответ",
    "duplicate found automatically": "дубликат найден автоматически",
    "merged by hand": "объединено вручную",
    "unmerged": "дубликат отсоединён",
    # ПОС status codes, stored as the reason when a rejection came without words
    "MODERATION_DECLINE": "отклонено модератором ПОС",
    "FORWARD_TO_PARENT": "передано в вышестоящую организацию",
    "FORWARD_TO_SUBORDINATE": "передано в подведомственную организацию",
}
SENTIMENT = {"positive": "доволен", "neutral": "нейтрально", "negative": "недоволен"}
DEADLINES = {
    "created": "установлены",
    "interim_answer": "после промежуточного ответа",
    "resumed": "после паузы",
    "reopened": "после возобновления",
    "extended": "продлены",
}
# Keys of ``changes`` in the ``updated`` (``app.tickets.service.update_ticket``) and
# ``source_updated`` (``app.intake.ingestion._apply_snapshot``) events.
CHANGED = {
    "source_status": "статус в источнике",
    "text": "текст",
    "address": "адрес",
    "lat": "координаты",
    "lon": "координаты",
    "source_url": "ссылка на источник",
    "attachments_added": "вложения",
    "extra": "доп. сведения",
    "answers_added": "ответы",
    "status_not_applied": "статус из источника не применён",
    "category": "категория",
    "priority": "приоритет",
    "district": "район",
}
CHANGED_OTHER = "другие сведения"  # a key this list does not know yet: never its code
DONE = {
    "taken": "Обращение взято в работу.",
    "held": "Обращение приостановлено.",
    "answered": "Ответ сохранён и отправлен в источник.",
    "rejected": "Обращение отклонено.",
    "returned": "Обращение возвращено как не относящееся к отделу.",
    "extended": "Срок продлён, гражданин будет уведомлён.",
    "routed": "Обращение направлено в отдел.",
    "merged": "Обращение объединено с основным как дубликат.",
    "commented": "Комментарий сохранён (гражданину он не отправляется).",
    "assigned": "Исполнитель назначен.",
}
ROLE = {"operator": "оператор", "manager": "руководитель", "admin": "администратор"}
# What went wrong, by the code a failed form redirects with (`?error=<code>&field=<names>`):
# the page shows only these fixed texts, so a crafted link cannot put words on it.
ERROR = {
    "form": "Проверьте поля формы.",
    "transition": "Это действие недоступно в нынешнем статусе обращения.",
    "conflict": "Не получилось: обращение уже изменилось или действие уже сделано. "
    "Обновите страницу.",
    "forbidden": "Это действие вам недоступно.",
    "failed": "Не получилось выполнить действие.",
    "unconfirmed": "Действие не выполнено: отметьте подтверждение.",
}
FIELD = {
    "text": "текст ответа",
    "kind": "вид ответа",
    "reason": "причина",
    "redirect_to": "куда обратиться",
    "department": "отдел",
    "days": "на сколько дней продлить",
    "into": "номер основного обращения",
    "sstu": "результат рассмотрения для ССТУ.РФ (код и итог каждого вопроса)",
    "code": "код вопроса по классификатору",
    "status": "результат рассмотрения",
    "date": "дата направления",
    "number": "исходящий номер",
    "assignee": "исполнитель",
    "confirm": "подтверждение",
}


def error_message(code: str, fields: str = "") -> str | None:
    """The fixed text for an error code (None for a code the console never sends), naming
    the form's known fields among ``fields`` (comma-separated)."""
    message = ERROR.get(code)
    named = [FIELD[f] for f in dict.fromkeys(fields.split(",")) if f in FIELD]
    if message is None or not named:
        return message
    return f"{message[:-1]}: {', '.join(named)}."


# TicketAnswer.delivery_status: where the answer is on its way back to the citizen's source.
DELIVERY = {
    "stored": "сохранён (источнику не отправляется)",
    "queued": "в очереди на отправку",
    "retrying": "отправка повторится",
    "delivered": "доставлен в источник",
    "failed": "не доставлен",
    "in_source": "дан в источнике",
}
# The outcome of one delivery attempt on the timeline (app.outbox.policy.Outcome).
DELIVERY_OUTCOME = {
    "sent": "доставлено",
    "retry": "не удалось, будет повтор",
    "dead": "не доставлено",
}
# Why an attempt failed (the bounded ``reason`` of app.outbox.policy.Verdict and the
# connectors' DeliveryResponse.error): a kind, never the source's words.
DELIVERY_ERROR = {
    "http_4xx": "источник отказал в приёме",
    "http_5xx": "сбой на стороне источника",
    "http_3xx": "источник перенаправил запрос, перенаправление не выполняется",
    "rate_limited": "источник просит подождать (слишком много запросов)",
    "timeout": "источник не ответил вовремя",
    "network": "нет связи с источником",
    "invalid_url": "неверный адрес источника в настройках",
    "not_configured": "отправка в этот источник не настроена",
}
DELIVERY_ERROR_OTHER = "причина не распознана"
# Mass incidents (app.incidents): status, how a ticket was linked, message kind, and what
# one message did for one ticket (incident_deliveries.outcome).
INCIDENT_STATUS = {
    "suspected": "предполагаемый",
    "confirmed": "подтверждён",
    "resolving": "устраняется",
    "resolved": "устранён",
    "dismissed": "отклонён",
}
LINKED_BY = {"rule": "автоматически", "operator": "вручную"}
MESSAGE_KIND = {"interim": "промежуточное", "final": "окончательное"}
INCIDENT_OUTCOME = {
    "answered": "отправлено",
    "via_main": "через основное обращение",
    "skipped": "не отправлено",
}
