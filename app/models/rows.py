"""Table objects made in bulk without SQLModel's per-field constructor.

``Ticket(**values)`` costs about 0.3 ms: SQLModel's table constructor walks every field and
sets it through ``__setattr__``. An intake batch makes hundreds of tickets, so ``new_row`` makes
the same object (the same attribute values, defaults included, and the same fields marked as
set) through SQLAlchemy's public instrumentation (``ClassManager.new_instance`` and
``attributes.set_attribute``, which fire the same attribute events) in about a quarter of that.
``tests/unit/test_model_rows.py`` holds it equal to the constructor.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from sqlalchemy.orm import attributes, instrumentation
from sqlmodel import SQLModel

M = TypeVar("M", bound=SQLModel)


@cache
def _defaults(cls: type[SQLModel]) -> tuple[dict[str, Any], dict[str, Callable[[], Any]]]:
    """What the constructor gives every field it is not given: fixed values (mutable ones are
    copied per row) and factories (called per row, e.g. ``created_at``)."""
    probe = cls()
    factories = {
        name: info.default_factory
        for name, info in cls.model_fields.items()
        if info.default_factory is not None
    }
    fixed = {
        k: v for k, v in vars(probe).items() if not k.startswith("_sa_") and k not in factories
    }
    return fixed, factories  # type: ignore[return-value]


def new_row(cls: type[M], **values: Any) -> M:
    """``cls(**values)`` for a SQLModel table class, made faster (see the module's note)."""
    obj: M = instrumentation.manager_of_class(cls).new_instance()
    fixed, factories = _defaults(cls)
    made = {name: make() for name, make in factories.items() if name not in values}
    for name, value in {**fixed, **made, **values}.items():
        if isinstance(value, list | dict):
            value = copy.copy(value)
        attributes.set_attribute(obj, name, value)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    return obj
