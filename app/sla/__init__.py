"""Deadlines: SLA policies, the Russian working calendar, the sweeper and the 59-ФЗ extension."""
