"""The operator console: server-rendered pages for departments without their own system."""
