"""Building table rows without re-inspecting their default factories every time.

SQLModel builds a table instance through ``FieldInfo.get_default(call_default_factory=True)``
for every field left out, and pydantic 2.14 answers "does this factory take the validated
data?" with ``inspect.signature`` on each call. Ingestion builds five to eight rows per item, so
that inspection was 6.5 % of the CPU of a webhook delivery (py-spy, bench/cpu.py,
docs/PERFORMANCE.md). A factory's signature does not change: the answer is cached per factory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic._internal import _fields

_original = _fields.takes_validated_data_argument
_answers: dict[Any, bool] = {}


def _cached(default_factory: Callable[..., Any]) -> bool:
    try:
        return _answers[default_factory]
    except KeyError:
        answer = _answers[default_factory] = bool(_original(default_factory))
        return answer
    except TypeError:  # an unhashable factory: ask every time, as pydantic does
        return bool(_original(default_factory))


def install() -> None:
    """Idempotent; called when the models package is imported."""
    if _fields.takes_validated_data_argument is _original:
        _fields.takes_validated_data_argument = _cached  # type: ignore[assignment]
