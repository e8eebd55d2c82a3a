"""The suite leaves the repository as it found it: a test that opens a file of the work tree for
writing (a tracked file, or a new file git does not ignore) fails at its teardown, naming the
file. Screenshots and other artefacts belong in ``build/`` (ignored) or ``tmp_path``.

A Python audit hook sees every ``open`` of this process (``open()``, ``os.open``, Playwright's
screenshot writes); the ignore rules are asked of git only for the rare write inside the tree.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
_WRITE = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
# Written on every run and ignored by .gitignore; skipped before asking git.
_SCRATCH = {
    ".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache",
    ".ruff_cache", ".schemathesis", "build", "var",
}  # fmt: skip


class TreeGuard:
    """Records the paths under ``root`` this process opened for writing."""

    def __init__(self, root: Path, allowed: tuple[str, ...] = ()) -> None:
        self.root = root
        self.allowed = {Path(a).parts for a in allowed}
        self.written: list[Path] = []

    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        if event != "open" or len(args) < 3:
            return
        path, _mode, flags = args[:3]
        if not isinstance(path, str | bytes) or not isinstance(flags, int) or not flags & _WRITE:
            return
        absolute = Path(os.path.abspath(os.fsdecode(path)))
        try:
            relative = absolute.relative_to(self.root)
        except ValueError:
            return
        if _SCRATCH.intersection(relative.parts):
            return
        if any(relative.parts[: len(a)] == a for a in self.allowed):
            return
        self.written.append(absolute)

    def changed_since(self, mark: int) -> list[str]:
        """Paths written since ``mark`` (a length of ``written``) that git would report."""
        found = dict.fromkeys(self.written[mark:])
        return [str(p.relative_to(self.root)) for p in found if not _ignored(self.root, p)]


@functools.cache
def _ignored(root: Path, path: Path) -> bool:
    result = subprocess.run(
        ["git", "-C", str(root), "check-ignore", "-q", str(path)],
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


# `make screenshots` asks for the console's screenshots in docs/ (SCREENSHOTS_DIR=docs).
GUARD = TreeGuard(ROOT, allowed=tuple(filter(None, [os.environ.get("SCREENSHOTS_DIR")])))


def pytest_configure(config: pytest.Config) -> None:
    if (ROOT / ".git").exists():  # a source tree that is no git checkout has nothing to keep
        sys.addaudithook(GUARD.audit)


@pytest.fixture(autouse=True)
def repository_untouched() -> Any:
    """Fail the test that wrote into the work tree."""
    mark = len(GUARD.written)
    yield
    changed = GUARD.changed_since(mark)
    assert not changed, (
        f"the test wrote into the repository: {changed}; write to tmp_path or build/ instead"
    )
