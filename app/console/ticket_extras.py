"""What the ticket page shows beyond the ticket itself: why each duplicate was suggested and
whom the ticket can be assigned to."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from app.console.duplicate_view import suggested_reasons
from app.console.notes import assignees
from app.models.tickets import Ticket


async def extras(session: AsyncSession, ticket: Ticket) -> dict[str, Any]:
    return {
        "dup_why": await suggested_reasons(session, ticket),
        "assignees": await assignees(session, ticket.department_code),
    }
