"""After a ticket is handed to another department the operator no longer sees it: the console
goes back to the inbox and says where it went («Передано в …»), not to a page that is now
«не найдено»."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fastapi.responses import Response

from app.access.api_keys import Principal
from app.access.visibility import sees
from app.console.deps import back_to
from app.models.tickets import Ticket

DONE = "passed"


def to_inbox(response: Response, moved: Sequence[Ticket]) -> Response:
    """The inbox with the department's code when the hand-over happened (``moved`` holds the
    ticket), else the response as it was (the form's refusal)."""
    if not moved:
        return response
    return back_to("/console", done=DONE, to=moved[0].department_code)


def unseen(moved: Sequence[Ticket], principal: Principal) -> list[Ticket]:
    """Those of ``moved`` the viewer no longer sees (an admin still sees every one)."""
    return [t for t in moved if not sees(principal, t.department_code)]


def message(done: str, to: str, names: Mapping[str, str]) -> str | None:
    """«Передано в <department>» for a code the directory knows; nothing for any other link
    (the page never shows words carried in the URL)."""
    if done != DONE or to not in names:
        return None
    return f"Передано в «{names[to]}»."
