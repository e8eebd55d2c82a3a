"""Simulators, evaluation and doc generators: used by the CLI, tests and docs, never by domains."""
