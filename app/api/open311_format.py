"""Rendering GeoReport v2 answers: the same data as JSON or as the spec's XML."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from fastapi.responses import Response

from app.channels.open311 import Open311Error

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(400, f"format {fmt} is not supported; use json or xml")
    return fmt


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent: ET.Element, name: str, value: Any) -> None:
    element = ET.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list):
        # Lists in the spec's XML wrap each item in the singular of the list's name.
        child = {"endpoints": "endpoint", "formats": "format", "attributes": "attribute"}
        for item in value:
            _append(element, child.get(name, "item"), item)
    elif value is not None:
        element.text = _text(value)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    """``<root><item>…</item>…</root>`` for lists, ``<root>…</root>`` for one object."""
    element = ET.Element(root)
    if item is not None:
        for entry in data:
            _append(element, item, entry)
    else:
        for key, value in data.items():
            _append(element, key, value)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def render(fmt: str, data: Any, *, root: str, item: str | None, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item, data), status_code=status, media_type=FORMATS["xml"])
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body.encode(), status_code=status, media_type=FORMATS["json"])


def render_error(fmt: str, status: int, description: str) -> Response:
    """Errors as the spec has them: a list of ``{code, description}``."""
    errors = [{"code": status, "description": description}]
    return render(
        fmt if fmt in FORMATS else "json", errors, root="errors", item="error", status=status
    )
