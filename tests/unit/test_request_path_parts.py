"""Parts of every request made cheaper (docs/PERFORMANCE.md, changes 36-39) say what they said:
the request id is a uuid4 in hex, masking gives the same text, the duration histogram's cached
children are the ones ``labels()`` gives."""

from __future__ import annotations

import re
import uuid

from hypothesis import given
from hypothesis import strategies as st

from app.access.personal_data import mask_name, mask_phone
from app.api.middleware import new_id
from app.metrics import http


def test_a_new_request_id_is_a_uuid4_in_hex() -> None:
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    for value in ids:
        parsed = uuid.UUID(hex=value)
        assert parsed.hex == value and parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


@given(st.text(alphabet=st.sampled_from("0123456789 +-()٣٤²abc\u00a0x"), max_size=30) | st.text())
def test_a_phone_is_masked_to_its_last_two_digits_as_before(value: str) -> None:
    digits = re.sub(r"\D", "", value)
    before = value and (f"***{digits[-2:]}" if len(digits) >= 2 else "***")
    assert mask_phone(value) == before


@given(st.text(alphabet=st.sampled_from("Аб Вг\t\nДx \u00a0\u3000"), max_size=30) | st.text())
def test_a_name_is_masked_to_initials_as_before(value: str) -> None:
    before = value and " ".join(part[0] + "." for part in value.split() if part)
    assert mask_name(value) == before


def test_the_duration_histogram_child_is_kept_per_labels() -> None:
    child = http._child("GET", "/api/v1/tickets/{ticket_id}", 200)
    assert child is http._child("GET", "/api/v1/tickets/{ticket_id}", 200)
    assert child is http.REQUEST_DURATION.labels(
        method="GET", route="/api/v1/tickets/{ticket_id}", status="200"
    )
    assert http._child("GET", "/api/v1/tickets/{ticket_id}", 404) is not child
