"""The domain: ticket lifecycle, ingestion, routing, SLA, outbox, metrics."""
