"""What goes back to ПОС: our statuses in its status codes, and where a message is posted.

Assumption (DOMAIN.md: ПОС's answer endpoint for authorities is not public): answers, statuses
and extension notices are posted to ``…/appeals/{posId}/responses``, this project's own
contract, which the bundled simulator serves; a real integration replaces ``path``.
"""

from __future__ import annotations

from urllib.parse import quote

from app.connectors.outbound import WebhookOutbound
from app.models.common import Status
from app.models.outbox import OutboxMessage, OutboxTarget

# Our statuses ПОС is told about (codes from DOMAIN.md); ``answered`` travels with the answer.
STATUS_CODES = {
    Status.in_progress.value: "TAKE_TO_WORK",
    Status.on_hold.value: "POSTPONE",
    Status.rejected.value: "MODERATION_DECLINE",
}


class FeedbackPlatformOutbound(WebhookOutbound):
    target = OutboxTarget.feedback_platform.value
    status_codes = STATUS_CODES

    def source_status(self, status: str, *, redirect_to: str | None) -> str | None:
        code = self.status_codes.get(status)
        if code == "MODERATION_DECLINE" and redirect_to:
            code = "FORWARD_TO_PARENT"  # not ours: handed on to the body named in redirect_to
        return code

    def path(self, message: OutboxMessage) -> str:
        item = quote(message.payload.get("source_id") or "-", safe="")
        return f"/appeal-service/external-appeal-system/appeals/{item}/responses"


OUTBOUND = FeedbackPlatformOutbound()
