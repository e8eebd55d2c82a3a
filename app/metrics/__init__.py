"""Business and technical metrics: durable counters in PostgreSQL and the Prometheus exposition."""
