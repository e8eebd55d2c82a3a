"""Every JSON request body is strict: an unknown field is refused, a number is not a boolean,
a string is not a number — checked on every body the OpenAPI contract lists, and on the models
nested in them (validated as FastAPI does: Python mode, after JSON parsing)."""

from __future__ import annotations

import types
import typing
from functools import cache
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from app.main import create_app
from app.models.common import RequestBody

WRONG: dict[str, list[Any]] = {
    "boolean": [0, 1, "true", "false", 1.0],
    "integer": ["1", True, 1.5, "1e3"],
    "number": ["1", "1.5", True],
    "string": [1, 1.5, True],
}


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


@cache
def _by_name() -> dict[str, type[BaseModel]]:
    return {m.__name__: m for m in _all_subclasses(RequestBody)}


@cache
def json_bodies() -> list[str]:
    """The schema names of the JSON request bodies in the contract."""
    names = set()
    for ops in create_app().openapi()["paths"].values():
        for op in ops.values():
            content = op.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema", {})
            for ref in [schema, *schema.get("anyOf", [])]:
                if "$ref" in ref:
                    names.add(ref["$ref"].rsplit("/", 1)[-1])
    return sorted(names)


def _nested(model: type[BaseModel]) -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set()
    stack: list[Any] = [f.annotation for f in model.model_fields.values()]
    while stack:
        tp = stack.pop()
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            found.add(tp)
        stack.extend(typing.get_args(tp) if not isinstance(tp, types.NoneType) else [])
    return found


def models() -> list[type[BaseModel]]:
    roots = [_by_name()[n] for n in json_bodies() if n in _by_name()]
    return sorted({m for r in roots for m in {r, *_nested(r)}}, key=lambda m: m.__name__)


def _types(prop: dict[str, Any]) -> set[str]:
    return {p["type"] for p in [prop, *prop.get("anyOf", [])] if "type" in p}


def _errors_at(model: type[BaseModel], payload: dict[str, Any]) -> set[tuple[Any, str]]:
    try:
        model.model_validate(payload)
    except ValidationError as exc:
        return {(e["loc"][0] if e["loc"] else None, e["type"]) for e in exc.errors()}
    return set()


def test_every_json_body_of_the_contract_is_a_request_body():
    assert json_bodies(), "no JSON request body found"
    assert set(json_bodies()) <= set(_by_name()), set(json_bodies()) - set(_by_name())


@pytest.mark.parametrize("model", models(), ids=lambda m: m.__name__)
def test_unknown_fields_are_refused(model):
    assert ("no_such_field", "extra_forbidden") in _errors_at(model, {"no_such_field": 1})


def _with_scalars() -> list[type[BaseModel]]:
    return [
        m
        for m in models()
        if any(
            _types(p) & {"boolean", "integer", "number", "string"}
            for p in m.model_json_schema(by_alias=True)["properties"].values()
        )
    ]


@pytest.mark.parametrize("model", _with_scalars(), ids=lambda m: m.__name__)
def test_scalars_keep_their_json_type(model):
    properties = model.model_json_schema(by_alias=True)["properties"]
    checked = 0
    for name, prop in properties.items():
        kinds = _types(prop)
        if "string" in kinds and "enum" not in prop and len(kinds - {"null"}) == 1:
            wrong = WRONG["string"]
        elif kinds & {"boolean", "integer", "number"} and not kinds & {"string"}:
            wrong = [v for k in kinds if k in WRONG for v in WRONG[k]]
            # An integer is a number; 1.0 is refused for an integer.
            wrong = [v for v in wrong if not ("number" in kinds and type(v) in (int, float))]
        else:
            continue
        for value in wrong:
            assert any(loc == name for loc, _ in _errors_at(model, {name: value})), (
                f"{model.__name__}.{name} accepted {value!r}"
            )
        checked += 1
    assert checked


def test_dates_enums_and_nested_objects_still_parse_from_json():
    from app.models.sla import SlaPolicyCreate

    policy = SlaPolicyCreate.model_validate(
        {
            "name": "fast",
            "source": "feedback_platform",
            "fast_track": True,
            "resolution": {"value": 3, "unit": "working_days"},
        }
    )
    assert policy.resolution is not None and policy.resolution.value == 3.0
    assert policy.source == "feedback_platform"
