"""«Платформа обратной связи» (ПОС): inbound mapping, the API client and outbound answers."""
