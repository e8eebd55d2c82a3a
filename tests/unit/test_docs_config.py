"""README and the configuration reference list every APPEALS_* setting, with a meaning."""

from pathlib import Path

import pytest

from app.config import Settings
from app.tools.config_doc import rewrite

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("doc", ["README.md", "docs/CONFIGURATION.md"])
def test_settings_table_is_current(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    assert rewrite(text) == text, f"{doc} is stale: run `make docs`"


def test_every_setting_is_described() -> None:
    missing = [name for name, f in Settings.model_fields.items() if not f.description]
    assert missing == []


def test_bad_setting_stops_with_a_clear_message(monkeypatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("APPEALS_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError) as info:
        Settings()
    assert "timezone" in str(info.value)
