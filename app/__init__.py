"""The appeals hub: one place for every citizen appeal of a city."""
