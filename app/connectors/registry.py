"""Which connector serves which source, built from the settings (secrets)."""

from __future__ import annotations

from app.config import Settings
from app.connectors.base import Connector
from app.connectors.feedback_platform.inbound import FeedbackPlatformConnector
from app.connectors.incident_management.inbound import IncidentManagementConnector
from app.errors import NotFound

# URL slug → ticket source.
SLUGS = {
    "feedback-platform": "feedback_platform",
    "incident-management": "incident_management",
}


def inbound_connector(source: str, settings: Settings) -> Connector:
    """The connector for a source name or URL slug; unknown → 404."""
    name = SLUGS.get(source, source)
    if name == "feedback_platform":
        return FeedbackPlatformConnector(settings.feedback_platform_webhook_secrets)
    if name == "incident_management":
        return IncidentManagementConnector(settings.incident_management_webhook_secrets)
    raise NotFound(f"no inbound connector '{source}'")
