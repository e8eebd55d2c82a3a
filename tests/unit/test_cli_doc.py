"""docs/CLI.md shows the real `--help` of every command, and every command has an example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.tools.cli_doc import command_paths, help_text, rewrite

ROOT = Path(__file__).resolve().parents[2]
CLI_DOC = ROOT / "docs" / "CLI.md"


def leaves() -> list[tuple[str, ...]]:
    paths = list(command_paths())
    return [p for p in paths if not any(len(q) > len(p) and q[: len(p)] == p for q in paths)]


def test_cli_reference_is_current() -> None:
    text = CLI_DOC.read_text(encoding="utf-8")
    assert rewrite(text) == text, "docs/CLI.md is stale: run `make docs`"


def test_every_command_is_documented_with_an_example() -> None:
    text = CLI_DOC.read_text(encoding="utf-8")
    missing_example = [p for p in leaves() if "Example:" not in help_text(p)]
    undocumented = [p for p in leaves() if f"$ appeals {' '.join(p)} --help" not in text]
    assert missing_example == []
    assert undocumented == []


def test_the_issue_s_commands_exist() -> None:
    names = {" ".join(p) for p in command_paths()}
    expected = {
        "serve",
        "worker",
        "migrate",
        "load-config",
        "api-keys create",
        "api-keys list",
        "api-keys revoke",
        "import",
        "simulate",
        "outbox list",
        "outbox replay",
        "quarantine list",
        "quarantine replay",
        "purge",
        "export",
        "routing train",
        "routing evaluate",
        "routing model-eval",
        "demo",
    }
    assert expected <= names


def code_in(markdown: str) -> str:
    """Fenced blocks and inline code spans of a markdown text."""
    fenced = re.findall(r"```[^\n]*\n(.*?)```", markdown, flags=re.S)
    inline = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", markdown, flags=re.S))
    return "\n".join(fenced + inline)


@pytest.mark.parametrize(
    "doc", ["docs/OPERATIONS.md", "docs/API.md", "docs/ARCHITECTURE.md", "README.md"]
)
def test_commands_and_documents_the_guides_mention_exist(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    names = {" ".join(p) for p in command_paths()}
    mentioned = re.findall(
        r"(?:^|[\s(])(?<!-U )(?<!-d )appeals ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", code_in(text)
    )
    assert mentioned
    for first, second in mentioned:
        assert first in names, f"{doc} mentions `appeals {first}`"
        if f"{first} {second}" not in names:  # the second word is an argument then
            assert not any(n.startswith(f"{first} ") for n in names) or second == "", (
                f"{doc} mentions `appeals {first} {second}`"
            )
    if doc != "README.md":  # the guides this suite owns link only documents that exist
        for path in re.findall(r"docs/[A-Z]+\.md", text):
            assert (ROOT / path).is_file(), f"{doc} links {path}"
