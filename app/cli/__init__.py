"""The ``appeals`` command line: a typer root plus one module per command group."""
