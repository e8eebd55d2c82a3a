"""A labelled corpus of realistic Russian appeals with known duplicates (for routing and dedup).

Each *incident* is one problem at one place; it is reported one to four times through
different channels in different words (a VK post, a ПОС message, a phone call). Reports of one
incident are duplicates of each other; everything else is not — including the same kind of
problem at another house and another problem at the same house. Deterministic per seed.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.directory.city_config import read_city_config
from app.directory.district_map import DistrictArea, DistrictMap

CITY_CONFIG = Path(__file__).resolve().parents[3] / "config" / "city.example.yaml"

# (category, department, issue, paraphrases). {street} and {house} are filled in. Invented,
# in the wording residents use in social networks, on Госуслуги and on the phone.
ISSUES: list[tuple[str, str, str, list[str]]] = [
    (
        "roads",
        "roads",
        "pothole",
        [
            "На улице {street} у дома {house} огромная яма, машины объезжают по встречке",
            "Глубокая яма на проезжей части возле дома {house}, ул. {street}. Уже пробил колесо",
            "Прошу заделать яму на дороге по ул. {street} напротив дома {house}",
            "Ямы на {street} {house} такие что страшно ехать, когда отремонтируют дорогу?",
        ],
    ),
    (
        "roads",
        "roads",
        "traffic_light",
        [
            "Не работает светофор на перекрёстке у дома {house} по ул. {street}",
            "Светофор на {street} возле {house} дома мигает жёлтым вторые сутки",
            "Сломан светофор, ул. {street}, д. {house}, дети переходят дорогу как придётся",
        ],
    ),
    (
        "roads",
        "roads",
        "sidewalk",
        [
            "Разбит тротуар вдоль дома {house} по улице {street}, после дождя не пройти",
            "Тротуар у дома {house} на {street} весь в провалах, мамы с колясками идут по дороге",
            "Просим отремонтировать пешеходную дорожку на ул. {street}, {house}",
        ],
    ),
    (
        "snow",
        "roads",
        "snow",
        [
            "Улицу {street} не чистят от снега третий день, у дома {house} не проехать",
            "Снег на {street} у дома {house} не убран, машины буксуют",
            "Когда почистят от снега дорогу по ул. {street} возле дома {house}?",
        ],
    ),
    (
        "transport",
        "roads",
        "bus",
        [
            "Автобус по улице {street} не ходит по расписанию, у дома {house} ждём час",
            "Остановка у дома {house} на {street}: автобусы проезжают мимо не останавливаясь",
        ],
    ),
    (
        "housing",
        "zhkh",
        "roof",
        [
            "В доме {house} по ул. {street} течёт кровля, квартиры на последнем этаже заливает",
            "Протекает крыша дома {house} на {street}, после дождя вода в подъезде",
            "Просим отремонтировать кровлю, ул. {street} {house}, заливает пятый этаж",
        ],
    ),
    (
        "housing",
        "zhkh",
        "lift",
        [
            "Лифт в доме {house} на улице {street} не работает вторую неделю",
            "Сломан лифт, {street} {house}, пожилые не могут выйти из дома",
            "Когда починят лифт в доме {house} по ул. {street}? Управляющая компания молчит",
        ],
    ),
    (
        "heating",
        "zhkh",
        "cold",
        [
            "В доме {house} по улице {street} холодные батареи, в квартирах +15",
            "Нет отопления в доме {house} на {street}, дети болеют",
            "Батареи еле тёплые, ул. {street}, д. {house}. Просим разобраться с отоплением",
        ],
    ),
    (
        "water",
        "zhkh",
        "no_water",
        [
            "Нет холодной воды в доме {house} по ул. {street} с утра, никто не предупредил",
            "Вторые сутки без воды, {street} {house}. Когда дадут воду?",
            "Отключили водоснабжение в доме {house} на улице {street} без объявления",
        ],
    ),
    (
        "power",
        "zhkh",
        "no_light",
        [
            "На улице {street} у дома {house} второй день нет света в подъезде",
            "В подъезде дома {house} по {street} не горит свет, темно и страшно",
        ],
    ),
    (
        "waste",
        "blago",
        "bins",
        [
            "Во дворе дома {house} по улице {street} пятый день не вывозят мусор",
            "Мусорные контейнеры у дома {house} на {street} переполнены, мусор разносит ветер",
            "Не вывозят мусор с площадки ул. {street} {house}, запах на весь двор",
        ],
    ),
    (
        "waste",
        "blago",
        "dump",
        [
            "У дома {house} на улице {street} образовалась стихийная свалка",
            "Свалку строительного мусора возле дома {house} по ул. {street} никто не убирает",
        ],
    ),
    (
        "improvement",
        "blago",
        "swings",
        [
            "Во дворе дома {house} по ул. {street} сломаны качели на детской площадке",
            "Детская площадка у дома {house} на {street} в аварийном состоянии, качели сломаны",
            "Просим починить качели во дворе, {street} {house}, дети могут пострадать",
        ],
    ),
    (
        "improvement",
        "blago",
        "tree",
        [
            "Просим спилить аварийное дерево у дома {house} на улице {street}",
            "Сухое дерево у дома {house} по {street} может упасть на машины",
        ],
    ),
    (
        "improvement",
        "blago",
        "lamp",
        [
            "Не горят фонари на улице {street} у дома {house}, вечером темно",
            "Уличное освещение на {street} возле дома {house} не работает неделю",
        ],
    ),
    (
        "education",
        "education",
        "school",
        [
            "В школе на улице {street} не работает отопление в спортзале",
            "Школа на {street}: в спортзале холодно, дети занимаются в куртках",
        ],
    ),
    (
        "social",
        "social",
        "food",
        [
            "Пенсионерке с улицы {street}, д. {house}, не привозят продуктовый набор",
            "Одинокому инвалиду, {street} {house}, второй месяц не доставляют соцпомощь",
        ],
    ),
    (
        "offences",
        "admcom",
        "noise",
        [
            "Во дворе дома {house} по ул. {street} по ночам шумит компания, мешают спать",
            "Каждую ночь шум и музыка у дома {house} на {street}, просим принять меры",
        ],
    ),
    (
        "health",
        "press",
        "clinic",
        [
            "В поликлинику на улице {street} невозможно дозвониться и записаться к врачу",
            "Поликлиника на {street}: запись к терапевту только через месяц",
        ],
    ),
]

ADDRESS_FORMATS = [
    "ул. {street}, д. {house}",
    "улица {street}, {house}",
    "{street} ул., {house}",
    "г. Спасск-Дальний, ул. {street}, {house}",
    "Спасск-Дальний, {street} {house}",
]
CHANNELS = [
    ("incident_management", "social_post", "vk"),
    ("incident_management", "social_post", "ok"),
    ("incident_management", "social_post", "telegram"),
    ("feedback_platform", "pos_message", "gosuslugi"),
    ("api", "direct_request", "phone"),
]
HOUSE_STEP_M = 25.0


@dataclass(frozen=True)
class CorpusTicket:
    key: str  # stable id within the corpus
    incident: int  # reports of one incident are duplicates of each other
    wording: str  # which phrasing of which issue (held out together when evaluating a model)
    category: str
    department: str
    source: str
    kind: str
    channel: str
    text: str
    address: str | None
    lat: float | None
    lon: float | None
    created_at: datetime


def _streets() -> list[tuple[str, float, float]]:
    """Every street of the example city with a starting point inside its district."""
    config = read_city_config(CITY_CONFIG)
    streets = []
    for district in config.districts:
        ring = (district.polygon or {}).get("coordinates", [[[132.8, 44.59]]])[0]
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
        for i, street in enumerate(district.streets):
            lon = min(lons) + (max(lons) - min(lons)) * (0.2 + 0.2 * i)
            lat = min(lats) + (max(lats) - min(lats)) * 0.15
            streets.append((street, lat, lon))
    return streets


def generate(
    *, incidents: int = 300, seed: int = 1, start: datetime | None = None
) -> list[CorpusTicket]:
    """``incidents`` problems, each reported 1–4 times, in the order they arrive."""
    rng = random.Random(seed)
    start = start or datetime(2026, 10, 1, tzinfo=UTC)
    streets = _streets()
    items: list[CorpusTicket] = []
    for n in range(incidents):
        category, department, issue, phrases = rng.choice(ISSUES)
        street, lat0, lon0 = rng.choice(streets)
        house = rng.randint(1, 40)
        # Houses go north along the street, HOUSE_STEP_M apart.
        lat = lat0 + house * HOUSE_STEP_M / 111_320.0
        lon = lon0
        first = start + timedelta(days=rng.uniform(0, 60))
        reports = rng.choices([1, 2, 3, 4], weights=[45, 30, 15, 10])[0]
        for r in range(reports):
            source, kind, channel = rng.choice(CHANNELS)
            phrase = rng.randrange(len(phrases))
            text = phrases[phrase].format(street=street, house=house)
            address: str | None = rng.choice(ADDRESS_FORMATS).format(street=street, house=house)
            point = None
            if source == "incident_management" and rng.random() < 0.6:
                jitter = 15.0 / 111_320.0
                point = (
                    lat + rng.uniform(-jitter, jitter),
                    lon + rng.uniform(-jitter, jitter) / math.cos(math.radians(lat)),
                )
            if source == "incident_management" and point is not None and rng.random() < 0.5:
                address = None  # a post with a geotag and no written address
            created = first + timedelta(hours=rng.uniform(0, 72) if r else 0)
            items.append(
                CorpusTicket(
                    key=f"c{n}-{r}",
                    incident=n,
                    wording=f"{issue}/{phrase}",
                    category=category if rng.random() > 0.08 else "other",
                    department=department,
                    source=source,
                    kind=kind,
                    channel=channel,
                    text=text,
                    address=address,
                    lat=point[0] if point else None,
                    lon=point[1] if point else None,
                    created_at=created,
                )
            )
    items.sort(key=lambda t: t.created_at)
    return items


def example_district_map() -> DistrictMap:
    """The example city's districts and streets, as routing and dedup see them."""
    config = read_city_config(CITY_CONFIG)
    return DistrictMap(DistrictArea(d.code, d.polygon, tuple(d.streets)) for d in config.districts)
