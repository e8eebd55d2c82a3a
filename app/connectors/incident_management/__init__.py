"""«Инцидент Менеджмент» (IM): inbound mapping and outbound answers."""
