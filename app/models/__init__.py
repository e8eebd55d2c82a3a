"""SQLModel tables and their API schemas; importing this package registers every table."""

from app.models.auth import ApiKey
from app.models.connector_health import ConnectorHealth
from app.models.directory import Category, CategoryMapping, Department, District
from app.models.idempotency import IdempotencyRecord
from app.models.metrics import MetricCounter
from app.models.tickets import Applicant, Ticket, TicketAnswer, TicketEvent

__all__ = [
    "ApiKey",
    "Applicant",
    "Category",
    "CategoryMapping",
    "ConnectorHealth",
    "Department",
    "District",
    "IdempotencyRecord",
    "MetricCounter",
    "Ticket",
    "TicketAnswer",
    "TicketEvent",
]
