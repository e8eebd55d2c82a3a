"""Intake: signed deliveries, Excel imports and polling turned into tickets exactly once."""
