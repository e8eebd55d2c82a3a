"""Realistic Russian appeals for the simulators: categories, texts, streets, points."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CITY_CONFIG = Path(__file__).resolve().parents[3] / "config" / "city.example.yaml"

# Texts per normalised category; {street} and {house} are filled in. Invented, typical wording.
TEXTS: dict[str, list[str]] = {
    "roads": [
        "На улице {street} у дома {house} огромная яма, машины объезжают по встречной",
        "Не работает светофор на перекрёстке у дома {house} по ул. {street}, "
        "дети переходят как придётся",
        "Разбит тротуар вдоль улицы {street}, после дождя не пройти",
    ],
    "snow": ["Улицу {street} не чистят от снега третий день, у дома {house} не проехать"],
    "transport": [
        "Автобус по улице {street} не ходит по расписанию, люди ждут по часу на остановке"
    ],
    "housing": [
        "В доме {house} по ул. {street} течёт кровля, квартиры на последнем этаже заливает",
        "Лифт в доме {house} на улице {street} не работает вторую неделю",
        "Управляющая компания не убирает подъезды в доме {house} по ул. {street}",
    ],
    "heating": ["В доме {house} по улице {street} холодные батареи, в квартирах +15"],
    "water": ["Нет холодной воды в доме {house} по ул. {street} с утра, никто не предупредил"],
    "power": ["На улице {street} у дома {house} второй день нет света в подъезде и на улице"],
    "waste": [
        "Во дворе дома {house} по улице {street} пятый день не вывозят мусор, "
        "контейнеры переполнены",
        "У дома {house} на улице {street} образовалась стихийная свалка",
    ],
    "improvement": [
        "Во дворе дома {house} по ул. {street} сломаны качели на детской площадке",
        "Просим спилить аварийное дерево у дома {house} на улице {street}",
    ],
    "education": ["В школе на улице {street} не работает отопление в спортзале"],
    "social": ["Пенсионерке с улицы {street}, д. {house}, не привозят продуктовый набор"],
    "offences": ["Во дворе дома {house} по ул. {street} по ночам шумит компания, мешают спать"],
    "health": ["В поликлинику на улице {street} невозможно дозвониться и записаться к врачу"],
    "other": ["Прошу разобраться: по улице {street} у дома {house} непонятно кто ведёт работы"],
}


@dataclass(frozen=True)
class District:
    code: str
    streets: list[str]
    polygon: list[tuple[float, float]]  # (lon, lat) ring


@dataclass(frozen=True)
class City:
    name: str
    districts: list[District]
    # source → [(normalised code, the source's own category name)]
    categories: dict[str, list[tuple[str, str]]]
    # normalised code → the department it belongs to (the detector's problem family)
    departments: dict[str, str] = field(default_factory=dict)


def load_city(path: Path = CITY_CONFIG) -> City:
    """Streets, district polygons and every source category name from the city YAML."""
    raw: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    districts = [
        District(
            code=d["code"],
            streets=list(d.get("streets") or []),
            polygon=[(float(x), float(y)) for x, y in d["polygon"]["coordinates"][0]],
        )
        for d in raw.get("districts", [])
        if d.get("polygon")
    ]
    categories: dict[str, list[tuple[str, str]]] = {}
    departments = {
        c["code"]: c["department"] for c in raw.get("categories", []) if c.get("department")
    }
    for c in raw.get("categories", []):
        for source, names in (c.get("mappings") or {}).items():
            for name in names:
                categories.setdefault(source, []).append((c["code"], name))
    name = raw.get("city", {}).get("name", "Спасск-Дальний")
    return City(name, districts, categories, departments)


def point_in(polygon: list[tuple[float, float]], rng: random.Random) -> tuple[float, float]:
    """A random (lat, lon) strictly inside the polygon (rejection sampling in its box)."""
    from shapely.geometry import Point, Polygon

    shape = Polygon(polygon)
    min_x, min_y, max_x, max_y = shape.bounds
    while True:
        lon, lat = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if shape.contains(Point(lon, lat)):
            return round(lat, 6), round(lon, 6)


@dataclass(frozen=True)
class Appeal:
    category_code: str
    source_category: str
    text: str
    street: str
    house: int
    district: District


def random_appeal(city: City, source: str, rng: random.Random) -> Appeal:
    """One invented appeal of ``source``: a category it really uses, a street of the city."""
    code, name = rng.choice(city.categories[source])
    district = rng.choice([d for d in city.districts if d.streets])
    street = rng.choice(district.streets)
    house = rng.randint(1, 60)
    template = rng.choice(TEXTS.get(code) or TEXTS["other"])
    return Appeal(code, name, template.format(street=street, house=house), street, house, district)


SURNAMES = ["Петрова", "Иванов", "Сидоренко", "Ким", "Ткаченко", "Мельник", "Захарова"]
NAMES = ["Ольга", "Сергей", "Анна", "Дмитрий", "Елена", "Андрей", "Наталья"]
