"""The documentation stands on its own in a fresh clone: it points at nothing outside the
repository, and the documents and samples it names are in it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md"))
NAMED = re.compile(r"(?:docs/[A-Za-z_-]+\.(?:md|png)|tests/fixtures/[\w./-]+\.\w+)")


@pytest.mark.parametrize("doc", ["README.md", *DOCS])
def test_points_nowhere_outside_and_names_what_exists(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    outside = re.findall(r"[^\s`(]*\.\./[^\s`)]*", text)
    assert outside == [], f"{doc} points outside the repository: {outside}"
    missing = sorted({p for p in NAMED.findall(text) if not (ROOT / p).exists()})
    assert missing == [], f"{doc} names files the repository does not have: {missing}"
