"""The guard that keeps `make test` from dirtying a clone: it catches a write into a tracked or
a new unignored file, and lets writes to build/, ignored files and elsewhere pass."""

from __future__ import annotations

import os

from tests.support.tree_guard import GUARD, ROOT, TreeGuard

WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


def test_writes_into_the_tree_are_told_apart(tmp_path) -> None:
    guard = TreeGuard(ROOT)
    for path in (
        ROOT / "docs" / "console-inbox.png",  # tracked
        ROOT / "docs" / "new-picture.png",  # new, not ignored
        ROOT / "build" / "screenshots" / "console-inbox.png",
        ROOT / "deploy" / "compose" / "appeals.env",  # ignored by .gitignore
        tmp_path / "x.png",
    ):
        guard.audit("open", (str(path), "wb", WRITE))
    guard.audit("open", (str(ROOT / "README.md"), "r", os.O_RDONLY))
    guard.audit("open", (3, "wb", WRITE))  # a file descriptor, not a path
    assert guard.changed_since(0) == ["docs/console-inbox.png", "docs/new-picture.png"]


def test_make_screenshots_may_write_docs() -> None:
    guard = TreeGuard(ROOT, allowed=("docs",))
    guard.audit("open", (str(ROOT / "docs" / "console-inbox.png"), "wb", WRITE))
    guard.audit("open", (str(ROOT / "README.md"), "w", WRITE))
    assert guard.changed_since(0) == ["README.md"]


def test_the_guard_watches_this_session() -> None:
    """A real write of this process is seen (then undone, so the tree stays as it was)."""
    probe = ROOT / "tree-guard-probe.txt"
    mark = len(GUARD.written)
    try:
        probe.write_text("probe")
    finally:
        probe.unlink(missing_ok=True)
    assert GUARD.changed_since(mark) == ["tree-guard-probe.txt"]
    del GUARD.written[mark:]  # this one write was the point of the test
