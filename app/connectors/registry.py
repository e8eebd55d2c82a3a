"""Every source's connector parts in one mapping, ``SOURCES``: what it sends us, how its export
reads, what it is told back and how that is delivered (built from the settings).

Sources without an entry have nothing of their own here: ``open311`` (GeoReport v2 clients read
a request's status themselves) and ``api`` (recorded by staff; no channel back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from app.config import Settings
from app.connectors.base import Connector, ExportFormat, OutboundAdapter, OutboundSender
from app.connectors.feedback_platform import export as feedback_platform_export
from app.connectors.feedback_platform import inbound as feedback_platform_in
from app.connectors.feedback_platform import outbound as feedback_platform_out
from app.connectors.incident_management import export as incident_management_export
from app.connectors.incident_management import inbound as incident_management_in
from app.connectors.incident_management import outbound as incident_management_out
from app.connectors.telegram import outbound as telegram_out
from app.errors import NotFound
from app.models.common import Source

Transport = httpx.AsyncBaseTransport | None


@dataclass(frozen=True)
class SourceEntry:
    """One source's parts; each is optional, a source has the directions it has."""

    slug: str | None = None  # its URL slug (webhooks, imports), e.g. ``feedback-platform``
    inbound: Callable[[Settings], Connector] | None = None  # signed webhook deliveries
    export: ExportFormat | None = None  # its Excel export
    outbound: OutboundAdapter | None = None  # what it is told back (target, status codes)
    sender: Callable[[Settings, Transport], OutboundSender] | None = None  # delivers that
    personal_data: frozenset[str] = frozenset()  # body keys holding personal data


def _feedback_platform(s: Settings) -> Connector:
    return feedback_platform_in.FeedbackPlatformConnector(s.feedback_platform_webhook_secrets)


def _feedback_platform_sender(s: Settings, transport: Transport) -> OutboundSender:
    return feedback_platform_out.OUTBOUND.sender(
        base_url=s.feedback_platform_url,
        secret=s.feedback_platform_outbound_secret,
        timeout=s.outbox_http_timeout_seconds,
        transport=transport,
    )


def _incident_management(s: Settings) -> Connector:
    return incident_management_in.IncidentManagementConnector(s.incident_management_webhook_secrets)


def _incident_management_sender(s: Settings, transport: Transport) -> OutboundSender:
    return incident_management_out.OUTBOUND.sender(
        base_url=s.incident_management_url,
        secret=s.incident_management_outbound_secret,
        timeout=s.outbox_http_timeout_seconds,
        transport=transport,
    )


def _telegram_sender(s: Settings, transport: Transport) -> OutboundSender:
    return telegram_out.OUTBOUND.sender(
        api_url=s.telegram_api_url,
        token=s.telegram_bot_token,
        timeout=s.outbox_http_timeout_seconds,
        transport=transport,
    )


SOURCES: dict[str, SourceEntry] = {
    Source.feedback_platform.value: SourceEntry(
        slug="feedback-platform",
        inbound=_feedback_platform,
        export=feedback_platform_export.EXPORT,
        outbound=feedback_platform_out.OUTBOUND,
        sender=_feedback_platform_sender,
        personal_data=feedback_platform_in.PERSONAL_DATA,
    ),
    Source.incident_management.value: SourceEntry(
        slug="incident-management",
        inbound=_incident_management,
        export=incident_management_export.EXPORT,
        outbound=incident_management_out.OUTBOUND,
        sender=_incident_management_sender,
        personal_data=incident_management_in.PERSONAL_DATA,
    ),
    # Telegram updates come in through the chat-bot channel (app/channels/chatbot.py).
    Source.chatbot.value: SourceEntry(outbound=telegram_out.OUTBOUND, sender=_telegram_sender),
}
_BY_SLUG = {e.slug: name for name, e in SOURCES.items() if e.slug}


def source_name(source: str) -> str:
    """The source name for a name or URL slug (``feedback-platform`` → ``feedback_platform``)."""
    return _BY_SLUG.get(source, source)


def inbound_connector(source: str, settings: Settings) -> Connector:
    """The connector for a source name or URL slug; unknown → 404."""
    entry = SOURCES.get(source_name(source))
    if entry is None or entry.inbound is None:
        raise NotFound(f"no inbound connector '{source}'")
    return entry.inbound(settings)


def export_format(source: str) -> ExportFormat:
    """The Excel export format of a source name or URL slug; unknown → 404."""
    entry = SOURCES.get(source_name(source))
    if entry is None or entry.export is None:
        raise NotFound(f"no import format for '{source}'")
    return entry.export


def personal_data_keys(source: str) -> frozenset[str]:
    """The body keys of a source whose values are personal data (none for an unknown source)."""
    entry = SOURCES.get(source_name(source))
    return entry.personal_data if entry is not None else frozenset()


def outbound_adapter(source: str) -> OutboundAdapter | None:
    """What the source is told back, or None when it has no channel back."""
    entry = SOURCES.get(source)
    return entry.outbound if entry is not None else None


def outbound_senders(
    settings: Settings, *, transport: Transport = None
) -> dict[str, OutboundSender]:
    """A sender per outbox target of the sources that are told back (the relay owns them)."""
    return {
        entry.outbound.target: entry.sender(settings, transport)
        for entry in SOURCES.values()
        if entry.outbound is not None and entry.sender is not None
    }
