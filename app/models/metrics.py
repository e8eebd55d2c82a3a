"""Durable metric series kept in PostgreSQL so they are exact across replicas and restarts."""

from __future__ import annotations

from sqlalchemy import Column, Float, SmallInteger, String
from sqlmodel import Field, SQLModel


class MetricCounter(SQLModel, table=True):
    """One shard of one labelled counter. Writers pick a random shard so concurrent
    transactions rarely wait on the same row; the scrape sums the shards."""

    __tablename__ = "metric_counters"
    name: str = Field(sa_column=Column(String(120), primary_key=True))
    labels: str = Field(sa_column=Column(String(500), primary_key=True))
    shard: int = Field(sa_column=Column(SmallInteger, primary_key=True, autoincrement=False))
    value: float = Field(default=0.0, sa_column=Column(Float, nullable=False))
