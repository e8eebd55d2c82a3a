"""The access audit: privileged reads of personal data are recorded before they happen."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from app.errors import ValidationFailed
from app.models.audit import AccessAudit

log = logging.getLogger(__name__)
MIN_REASON = 10


async def record_access(
    session: AsyncSession, *, actor: str, action: str, subject: str, reason: str, now: datetime
) -> AccessAudit:
    """Write who reads what and why (in the reading transaction: no record, no read)."""
    reason = reason.strip()
    if len(reason) < MIN_REASON:
        raise ValidationFailed(
            f"say why you need it ({MIN_REASON}+ characters); it is recorded", field="reason"
        )
    row = AccessAudit(at=now, actor=actor, action=action, subject=subject, reason=reason)
    session.add(row)
    await session.flush()
    # The reason is free text and stays in the table; the log names only who and what.
    log.info("personal data read", extra={"actor": actor, "action": action, "subject": subject})
    return row
