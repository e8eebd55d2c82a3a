"""The command tree is built in one place: every group module is added to the root, explicitly."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import typer

import app.cli
from app.cli import root

CLI_DIR = Path(app.cli.__file__).parent
NOT_GROUPS = {"root", "runtime"}


def group_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(CLI_DIR)]) if m.name not in NOT_GROUPS)


def imported_modules(source: str) -> set[str]:
    """Every module ``source`` imports, ``from a import b`` counting as ``a`` and ``a.b``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def test_every_group_module_is_added_to_the_root_once() -> None:
    added = [info.typer_instance for info in root.cli.registered_groups]
    assert len(group_modules()) == 14
    for name in group_modules():
        group = importlib.import_module(f"app.cli.{name}").cli
        assert isinstance(group, typer.Typer), name
        assert sum(g is group for g in added) == 1, f"app.cli.{name} is not added to the root once"
    assert len(added) == len(group_modules())


def test_the_root_holds_no_command_of_its_own() -> None:
    assert root.cli.registered_commands == []


def test_no_group_imports_the_root_or_registers_by_import() -> None:
    for name in [*group_modules(), "runtime"]:
        imported = imported_modules((CLI_DIR / f"{name}.py").read_text(encoding="utf-8"))
        assert "app.cli.root" not in imported, f"app.cli.{name} imports the root"
        assert "importlib" not in imported, f"app.cli.{name} registers by import"


def test_imported_modules_sees_every_spelling_of_an_import() -> None:
    source = (
        "import importlib\nfrom app.cli import root\n\ndef f():\n    from app.cli.root import x\n"
    )
    assert imported_modules(source) == {"importlib", "app.cli", "app.cli.root", "app.cli.root.x"}
