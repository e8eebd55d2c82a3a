"""What goes back to Инцидент Менеджмент: our statuses in its words, and where a comment goes.

Assumption (IM has no public API): the status words are the simulator's, and every message is
posted to one comment endpoint, ``/api/comments``. IM items are known by their post URL (see
``inbound``), which does not fit a path segment, so the post is named in the body
(``data.source_url``).
"""

from __future__ import annotations

from app.connectors.outbound import WebhookOutbound
from app.models.common import Status
from app.models.outbox import OutboxMessage, OutboxTarget

# Our statuses IM is told about; ``answered`` travels with the answer itself.
STATUS_CODES = {
    Status.in_progress.value: "in_work",
    Status.rejected.value: "rejected",
}


class IncidentManagementOutbound(WebhookOutbound):
    target = OutboxTarget.incident_management.value
    status_codes = STATUS_CODES

    def path(self, message: OutboxMessage) -> str:
        return "/api/comments"


OUTBOUND = IncidentManagementOutbound()
