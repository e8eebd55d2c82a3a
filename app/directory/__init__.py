"""The city's directory: departments, categories, districts, the city config and reference data."""
