"""Placing a ticket in a district: point in polygon, else the street → district table (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.prepared import PreparedGeometry, prep

from app.dedup.place_key import address_key, key_in_text
from app.routing.ru_text import find_street, street_stems


@dataclass(frozen=True)
class DistrictArea:
    code: str
    polygon: dict[str, Any] | None
    streets: tuple[str, ...] = ()


class DistrictMap:
    """The city's districts, polygons prepared once for fast point-in-polygon tests."""

    def __init__(self, areas: Iterable[DistrictArea]) -> None:
        self._shapes: list[tuple[str, BaseGeometry, PreparedGeometry]] = []
        self._streets: dict[tuple[str, ...], str] = {}
        for area in areas:
            if area.polygon:
                geometry = shape(area.polygon)
                self._shapes.append((area.code, geometry, prep(geometry)))
            for street in area.streets:
                key = street_stems(street)
                if key:
                    self._streets.setdefault(key, area.code)

    @property
    def streets(self) -> dict[tuple[str, ...], str]:
        """Street stems → district code."""
        return self._streets

    def place_key(self, address: str | None, text: str) -> str | None:
        """The normalised address, else the place the text names (a crossroads, a house on a
        typed, known or capitalised street, a street)."""
        return address_key(address) or key_in_text(text, self._streets)

    def by_point(self, lat: float, lon: float) -> str | None:
        """The district whose polygon holds the point (GeoJSON order is lon, lat)."""
        point = Point(lon, lat)
        for code, geometry, prepared in self._shapes:
            if prepared.contains(point) or geometry.touches(point):
                return code
        return None

    def by_address(self, address: str) -> str | None:
        """The district of the street named in the address («ул. Ленина», «Ленина ул» …)."""
        return find_street(address, self._streets)

    def locate(
        self, *, lat: float | None, lon: float | None, address: str | None, text: str | None = None
    ) -> tuple[str | None, str]:
        """(district, how): by point first, then by the address, then a street in the text."""
        if lat is not None and lon is not None:
            code = self.by_point(lat, lon)
            if code is not None:
                return code, "point"
        if address:
            code = self.by_address(address)
            if code is not None:
                return code, "address"
        if text:
            code = self.by_address(text)
            if code is not None:
                return code, "text"
        return None, "unknown"
