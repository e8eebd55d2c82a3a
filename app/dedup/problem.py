"""What problem a text is about, so that everyday and formal words for one thing agree (pure).

«не греют батареи» and «отсутствует отопление», «яма» and «выбоина», «не горит фонарь» and
«нет уличного освещения» share no word, yet name one problem. A small hand-written map of the
problems a town's services hear every day gives each text its *concepts*; two texts at one
place with concepts and none in common are two problems, however many words they share.

Words are written in any form and compared by lemma (``app.routing.ru_text.lemma``). A pair
«горячий вода» counts when both words stand within three words of each other. A *broad*
concept («вода», «свет» alone) agrees with each of its narrower ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from app.routing.ru_text import lemma, lemmas

# concept: (words, pairs) — a word alone names it; a pair names it when both are near.
_CONCEPTS: dict[str, tuple[str, str]] = {
    "heating": (
        "отопление отопительный батарея радиатор теплоснабжение тепло обогрев греть "
        "холодно мерзнуть теплотрасса теплосеть котельная теплоноситель температура",
        "",
    ),
    "hot_water": ("гвс кипяток", "горячий вода"),
    "cold_water": ("хвс водопровод", "холодный вода|питьевой вода"),
    "water": ("вода водоснабжение напор", ""),
    "sewage": (
        "канализация канализационный засор засорить нечистоты фекалии стоки септик "
        "ассенизатор откачка вонь вонять",
        "",
    ),
    "leak": (
        "протечка протекать течь капать крыша кровля потолок затопить залить мокрый",
        "",
    ),
    "flooding": ("лужа ливневка ливневый подтопление подтопить водоотвод", ""),
    "pothole": (
        "яма ямка ямища ямина выбоина колдобина ухаб провал дыра дырища асфальт асфальтировать "
        "ямочный",
        "дорожный покрытие|разбитый дорога",
    ),
    "sidewalk": ("тротуар плитка бордюр поребрик", "пешеходный дорожка"),
    "street_light": (
        "фонарь освещение светильник темно темнота лампа опора",
        "уличный свет",
    ),
    "power": ("электричество электроэнергия электроснабжение напряжение проводка", ""),
    "light": ("свет", ""),
    "garbage": (
        "мусор мусорный контейнер бак вывоз вывозить отход тко кгм свалка помойка урна "
        "мусоропровод мусоровоз",
        "контейнерный площадка",
    ),
    "snow": ("снег снежный сугроб снегопад снегоуборка расчистить расчистка", ""),
    "ice": ("лед гололед гололедица наледь скользко скользкий посыпать реагент", ""),
    "icicles": ("сосулька наледь", ""),
    "dogs": (
        "собака пес стая свора бродячий безнадзорный отлов укусить покусать кусаться животное "
        "кошка",
        "",
    ),
    "elevator": ("лифт подъемник", ""),
    "trees": (
        "дерево ветка сук спил спилить кронирование обрезка тополь береза",
        "",
    ),
    "grass": ("трава покос скосить бурьян амброзия", ""),
    "playground": ("качели горка песочница карусель", "детский площадка|игровой площадка"),
    "bus": ("автобус маршрутка маршрут остановка расписание рейс", ""),
    "traffic_light": ("светофор светофорный", ""),
    "road_marking": ("разметка зебра знак", "пешеходный переход"),
    "noise": ("шум шуметь громкий музыка тишина", ""),
    "manhole": ("люк колодец", ""),
    "gas": ("газ газовый", ""),
    "intercom": ("домофон", ""),
    "pests": ("крыса мышь таракан клоп дезинсекция дератизация грызун", ""),
    "cleaning": ("уборка убирать грязь грязно мыть", ""),
    "benches": ("скамейка лавочка", ""),
    "fence": ("забор ограждение огородить огородка самозахват", ""),
    "speed_bump": ("неровность гонять скорость", "лежачий полицейский"),
    "windows": ("окно остекление стекло выбить форточка", ""),
    "billing": (
        "перерасчет квитанция начисление начислить плата оплата тариф счет одн платежка",
        "",
    ),
    "parking": ("парковка парковаться припарковать стоянка машина автомобиль", ""),
    "dead_animal": ("труп мертвый сбитый падаль дохлый сдохнуть туша", ""),
    "school_food": ("питание кормить еда столовая обед завтрак буфет", ""),
    "street_trade": ("ларек киоск павильон торговля торговать торговый лоток", ""),
    "kindergarten_queue": ("очередь зачисление путевка", ""),
    "ads": ("реклама рекламный объявление наклеить расклеить расклейка листовка", ""),
    "abandoned": ("недострой незавершенный заброшенный заброшка разрушаться", ""),
}
# A broad concept agrees with the narrower ones it covers.
_BROAD: dict[str, frozenset[str]] = {
    "water": frozenset({"hot_water", "cold_water"}),
    "light": frozenset({"street_light", "power"}),
}
# A concept that, when named, is the problem instead of another («труп собаки» is not about
# stray dogs).
_INSTEAD: dict[str, frozenset[str]] = {
    "dead_animal": frozenset({"dogs"}),
    # «перерасчёт за отопление» is about the bill, not about the heating
    "billing": frozenset(
        {"heating", "hot_water", "cold_water", "water", "power", "light", "garbage", "sewage"}
    ),
}
# Words that say nothing about which problem it is: the address, the house, the complaint's
# formulas. They never count as shared text.
_GENERIC_WORDS = (
    "дом улица д ул кв квартира подъезд двор дворовый территория район город адрес житель "
    "жилец жилой многоквартирный проблема вопрос просьба просить помочь помогите решить "
    "принять мера срочно неделя день месяц год час уже опять снова который весь никто "
    "никакой сколько можно нужно надо обращение заявка жалоба администрация управляющий "
    "компания ук организация сделать делать мочь быть стать этот тот там тут здесь когда "
    "где уважаемый добрый здравствуйте спасибо очень почему нет отсутствовать работать "
    "не у на в по около возле напротив рядом второй третий давно постоянно сегодня вчера "
    "утро вечер ночь около наш свой ваш проспект переулок площадь номер"
)
_NEAR = 3


@lru_cache(maxsize=1)
def _generic() -> frozenset[str]:
    return frozenset(lemma(w) for w in _GENERIC_WORDS.split())


@dataclass(frozen=True)
class Problem:
    """A text as duplicate detection compares it: its concepts and its telling lemmas."""

    concepts: frozenset[str]
    lemmas: frozenset[str]


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[dict[str, frozenset[str]], list[tuple[str, str, str]]]:
    single: dict[str, set[str]] = {}
    pairs: list[tuple[str, str, str]] = []
    for concept, (spaced, paired) in _CONCEPTS.items():
        for word in spaced.split():
            single.setdefault(lemma(word), set()).add(concept)
        for pair in filter(None, paired.split("|")):
            a, b = (lemma(w) for w in pair.split())
            pairs.append((a, b, concept))
    return {k: frozenset(v) for k, v in single.items()}, pairs


def concepts_of(sequence: list[str]) -> frozenset[str]:
    """The concepts a text's lemmas name (pairs first: «горячий вода» is hot water)."""
    single, pairs = _vocabulary()
    found: set[str] = set()
    for a, b, concept in pairs:
        at_a = [i for i, w in enumerate(sequence) if w == a]
        at_b = [i for i, w in enumerate(sequence) if w == b]
        if any(abs(i - j) <= _NEAR for i in at_a for j in at_b):
            found.add(concept)
    for w in sequence:
        found |= single.get(w, frozenset())
    for concept, replaced in _INSTEAD.items():
        if concept in found:
            found -= replaced
    narrow = {c for c in found if c not in _BROAD}
    # a broad word beside a narrow one of its kind says nothing more («горячей воды нет»)
    return frozenset(c for c in found if c in narrow or not (_BROAD[c] & narrow))


def problem_of(text: str, place_words: frozenset[str] = frozenset()) -> Problem:
    """The concepts and the telling lemmas of a text (street names and numbers left out)."""
    whole = _problem(text)
    if not whole.lemmas & place_words:
        return whole
    return Problem(whole.concepts, whole.lemmas - place_words)


@lru_cache(maxsize=16384)
def _problem(text: str) -> Problem:
    """``problem_of`` before the place's words are left out: the text is read once, whichever
    pair it is compared in (each pair has its own place words)."""
    sequence = lemmas(text)
    telling = frozenset(
        w for w in sequence if len(w) > 1 and not w[:1].isdigit() and w not in _generic()
    )
    return Problem(concepts_of(sequence), telling)


def agree(a: frozenset[str], b: frozenset[str]) -> bool | None:
    """True when two texts name a common problem, False when both name problems and none in
    common, None when either names none the map knows."""
    if not a or not b:
        return None
    if a & b:
        return True
    return any(_BROAD.get(x, frozenset()) & b for x in a) or any(
        _BROAD.get(y, frozenset()) & a for y in b
    )
