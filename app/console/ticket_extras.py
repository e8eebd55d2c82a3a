"""What the ticket page shows beyond the ticket itself: why each duplicate was suggested, whom
the ticket can be assigned to, its status reason in Russian, the forms it offers and what was
typed into a refused form that is gone."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.console.duplicate_view import suggested_reasons
from app.console.lost_text import lost, offered
from app.console.notes import assignees
from app.console.timeline import status_reason
from app.console.typed import Typed
from app.models.tickets import Ticket


async def extras(
    session: AsyncSession, ticket: Ticket, typed: Typed | None = None
) -> dict[str, Any]:
    """``typed``: a refused form's fields when the page is shown again for it."""
    forms = offered(ticket)
    return {
        "dup_why": await suggested_reasons(session, ticket),
        "assignees": await assignees(session, ticket.department_code),
        "status_reason": status_reason(ticket.status_reason) if ticket.status_reason else None,
        "forms": forms,
        "lost": lost(typed, forms),
    }
