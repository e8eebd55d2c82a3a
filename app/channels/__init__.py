"""Channels of the hub's own: the anonymous chat-bot and Open311 GeoReport v2."""
