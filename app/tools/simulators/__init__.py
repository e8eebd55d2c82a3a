"""Fake ПОС and Инцидент Менеджмент servers: push signed items, serve what the hub calls."""
