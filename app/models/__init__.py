"""SQLModel tables and their API schemas; importing this package registers every table."""

from app.models.audit import AccessAudit
from app.models.auth import ApiKey
from app.models.chatbot import ChatbotReport, ChatbotUpdate
from app.models.connector_health import ConnectorHealth
from app.models.directory import Category, CategoryMapping, Department, District
from app.models.feedback import TicketFeedback
from app.models.idempotency import IdempotencyRecord
from app.models.inbound import InboundDelivery
from app.models.incidents import Incident, IncidentDelivery, IncidentMessage, IncidentTicket
from app.models.metrics import MetricCounter
from app.models.outbox import OutboxMessage
from app.models.routing import DuplicateSuggestion, RoutingRule
from app.models.sla import SlaMark, SlaPolicy
from app.models.sstu import (
    SstuAppeal,
    SstuCategoryQuestion,
    SstuClassifierEntry,
    SstuProfile,
    SstuQuestion,
)
from app.models.tickets import Applicant, Ticket, TicketAnswer, TicketEvent
from app.models.users import ConsoleSession, ConsoleUser

__all__ = [
    "AccessAudit",
    "ApiKey",
    "Applicant",
    "Category",
    "CategoryMapping",
    "ChatbotReport",
    "ChatbotUpdate",
    "ConnectorHealth",
    "ConsoleSession",
    "ConsoleUser",
    "Department",
    "District",
    "DuplicateSuggestion",
    "IdempotencyRecord",
    "InboundDelivery",
    "Incident",
    "IncidentDelivery",
    "IncidentMessage",
    "IncidentTicket",
    "MetricCounter",
    "OutboxMessage",
    "RoutingRule",
    "SlaMark",
    "SlaPolicy",
    "SstuAppeal",
    "SstuCategoryQuestion",
    "SstuClassifierEntry",
    "SstuProfile",
    "SstuQuestion",
    "Ticket",
    "TicketAnswer",
    "TicketEvent",
    "TicketFeedback",
]
