"""The console's checks before a step that cannot be undone: a final answer and a merge.

The answer's kind is an explicit choice (the form preselects none) and a final answer, which
closes the work on the ticket, needs its confirmation box ticked; a merge (suggested or marked
by number) needs its box too. Without JavaScript the page cannot ask twice, so the server
refuses the form and shows it again, filled in, with the box to tick."""

from __future__ import annotations

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app.access.api_keys import Principal
from app.console.duplicate_view import visible_by_number
from app.console.forms import AnswerForm, MergeForm
from app.console.redisplay import Unconfirmed
from app.models.routing import MergeRequest

KINDS = ("interim", "final")


def answer_confirmed(data: AnswerForm) -> None:
    """Refuse an answer whose kind was not chosen, or a final one not confirmed."""
    if data.kind not in KINDS:
        raise Unconfirmed("Выберите вид ответа: промежуточный или окончательный.")
    if data.kind == "final" and not data.confirm:
        raise Unconfirmed(
            "Окончательный ответ завершает работу по обращению, отменить его нельзя. Проверьте "
            "текст и отметьте «Я подтверждаю: ответ окончательный»."
        )


async def merge_request(
    session: AsyncSession, principal: Principal, data: MergeForm
) -> MergeRequest:
    """What to merge into: a suggestion's id or a visible ticket's number; confirmed."""
    if not data.confirm:
        raise Unconfirmed(
            "Объединение не отменить одной кнопкой: отметьте «Я подтверждаю, что это дубликат»."
        )
    into: object = data.into
    reason = "дубликат подтверждён в пульте"
    if data.number:
        into = await visible_by_number(session, principal, data.number)
        reason = "дубликат отмечен в пульте по номеру"
    if into is None:
        raise Unconfirmed("Укажите номер основного обращения.")
    try:
        return MergeRequest.model_validate({"into": into, "reason": reason}, strict=False)
    except ValidationError:
        raise Unconfirmed("Номер основного обращения указан неверно.") from None
