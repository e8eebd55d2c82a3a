"""The outbox: messages to sources and departments, enqueued in the caller's transaction."""
