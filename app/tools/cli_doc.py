"""docs/CLI.md from the live command tree, so the CLI reference cannot drift.

``python -m app.tools.cli_doc docs/CLI.md`` rewrites everything between ``<!-- cli:begin -->`` and
``<!-- cli:end -->`` with the output of ``appeals --help`` and of every subcommand's ``--help``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from app.cli.root import cli

BEGIN, END = "<!-- cli:begin -->", "<!-- cli:end -->"
WIDTH = 100


def command_paths() -> Iterator[tuple[str, ...]]:
    """Every command and group below ``appeals``, depth first, in ``--help`` order."""
    root = typer.main.get_command(cli)

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        yield path
        # typer vendors its own click: groups are recognised by their ``commands``.
        for name, sub in getattr(command, "commands", {}).items():
            if not sub.hidden:
                yield from walk(sub, (*path, name))

    yield from walk(root, ())


def help_text(path: tuple[str, ...]) -> str:
    """What ``appeals <path> --help`` prints on a terminal ``WIDTH`` columns wide."""
    result = CliRunner().invoke(
        cli,
        [*path, "--help"],
        prog_name="appeals",
        env={"COLUMNS": str(WIDTH), "TERM": "dumb", "NO_COLOR": "1"},
        terminal_width=WIDTH,
    )
    if result.exit_code != 0:
        raise RuntimeError(f"appeals {' '.join(path)} --help failed: {result.output}")
    return result.output.rstrip()


def reference() -> str:
    """The generated part of docs/CLI.md, made in a fresh process (as `appeals` itself runs).

    No ``APPEALS_*`` variable of the caller leaks into the help texts.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPEALS_")}
    code = "import sys, app.tools.cli_doc as d; sys.stdout.write(d.reference_in_this_process())"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def reference_in_this_process() -> str:
    parts = []
    for path in command_paths():
        title = " ".join(("appeals", *path))
        parts.append(f"### `{title}`\n\n```text\n$ {title} --help\n{help_text(path)}\n```\n")
    return "\n".join(parts)


def rewrite(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n\n" + reference() + "\n" + text[end:]


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        target = Path(arg)
        target.write_text(rewrite(target.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"updated {target}")
