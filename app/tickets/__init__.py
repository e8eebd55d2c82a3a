"""Tickets: creation, reading with department scoping, the state machine, staff actions, lists."""
