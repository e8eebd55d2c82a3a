"""Telegram Bot API: updates in, messages out. No DB."""
