"""``python -m app …`` is the ``appeals`` command (the demo starts its children this way)."""

from app.cli.root import main

main()
