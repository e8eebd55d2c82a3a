"""What a person typed into a console form, kept to fill the form again when it is refused."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from app.console.session import CSRF_FIELD


@dataclass(frozen=True)
class Typed:
    """The fields of the form that failed (``action``), as typed; empty for any other form."""

    action: str = ""
    fields: dict[str, str] = field(default_factory=dict)

    def value(self, action: str, name: str, default: str = "") -> str:
        return self.fields.get(name, default) if action == self.action else default

    def failed(self, action: str) -> bool:
        return action == self.action


async def typed_of(request: Request) -> Typed:
    """The posted form's text fields (the first value of each; the CSRF token left out)."""
    form = await request.form()
    action = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str) and key != CSRF_FIELD and key not in fields:
            fields[key] = value
    return Typed(action, fields)
