"""Background loops run by ``appeals worker`` (outbox relay, SLA sweeper, pollers)."""
