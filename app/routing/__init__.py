"""Routing: choosing the department that must act (pure rules, learned suggestion, re-routing)."""
