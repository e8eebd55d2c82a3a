"""Duplicates and repeat problems: detection at creation and what staff do with them."""
