"""Applying the city configuration: idempotent, and edits update the directory."""

from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from app.directory import reference
from app.directory.city_config import CityConfig, read_city_config
from app.directory.city_setup import apply_city_config
from app.errors import ValidationFailed
from app.models.directory import Category, CategoryMapping, Department

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "city.example.yaml"


async def test_reapplying_changes_nothing(db, city_config):
    async with db.sessionmaker() as session:
        counts = await apply_city_config(session, city_config)
        await session.commit()
    changed = {k: v for k, v in counts.items() if k != "unchanged" and v}
    assert changed == {}
    # Each department, category, district and SLA policy of the file is compared and kept.
    policies = (city_config.model_extra or {}).get("sla_policies", [])
    assert counts["unchanged"] == (
        len(city_config.departments)
        + len(city_config.categories)
        + len(city_config.districts)
        + len(policies)
    )


async def test_edit_and_reapply_updates(db):
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["departments"][1]["name"] = "Отдел ЖКХ и энергетики"
    raw["departments"] = [d for d in raw["departments"] if d["code"] != "construction"]
    # A rule may only target a department the city has: its rules go with it.
    raw["routing_rules"] = [r for r in raw["routing_rules"] if r["department"] != "construction"]
    for c in raw["categories"]:
        if c["code"] == "construction":
            c["department"] = None
        if c["code"] == "roads":
            c["mappings"]["feedback_platform"].append("Остановки")
    config = CityConfig.model_validate(raw)
    async with db.sessionmaker() as session:
        counts = await apply_city_config(session, config)
        await session.commit()
        zhkh = await session.get(Department, "zhkh")
        construction = await session.get(Department, "construction")
        stops = (
            await session.exec(
                select(CategoryMapping).where(CategoryMapping.source_name == "остановки")
            )
        ).one()
    assert zhkh.name == "Отдел ЖКХ и энергетики"
    assert construction.active is False
    assert stops.category_code == "roads"
    assert counts["updated"] >= 2 and counts["mappings_created"] == 1
    assert counts["deactivated"] == 1


async def test_every_section_is_applied_in_the_listed_order(db):
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["routing_rules"] = raw["routing_rules"][1:]
    raw["sla_policies"] = [p for p in raw["sla_policies"] if p["name"] != "chatbot_anonymous"]
    async with db.sessionmaker() as session:
        counts = await apply_city_config(session, CityConfig.model_validate(raw))
        await session.rollback()
    # routing_rules: before sla_policies:, as SECTIONS lists them.
    assert [k for k in counts if k.endswith("_removed")] == [
        "routing_rules_removed",
        "sla_policies_removed",
    ]
    assert counts["routing_rules_removed"] == 1
    assert counts["sla_policies_removed"] == 1


async def test_mapping_resolves_and_unknown_falls_back(db):
    async with db.sessionmaker() as session:
        ref = await reference.current(session)
        pits = ref.resolve_category("feedback_platform", ["Ямы, выбоины", "Автомобильные дороги"])
        unknown = ref.resolve_category("incident_management", ["Неизвестная тема"])
        fallback = (await session.exec(select(Category).where(Category.is_fallback))).one()
    assert pits.code == "roads"
    assert unknown.code == fallback.code == "other"


def test_invalid_config_is_rejected_with_a_reason(tmp_path):
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["categories"][0]["department"] = "nope"
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        read_city_config(path)
    assert "unknown department nope" in info.value.detail


def test_example_config_is_valid():
    config = read_city_config(EXAMPLE)
    assert sum(d.triage for d in config.departments) == 1


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "ftp://x.ru/h",
        "https://",
        "zhkh.example.ru/hook",
        "http:// zhkh.example.ru",
        "http://zhkh example.ru/x",
        "https://zhkh.example.ru:99999/x",
        "https://-zhkh.ru/x",
        "http://zhkh\texample.ru/x",
        "http://zhkh.exam\nple.ru/x",
        "http://zhkh.example.ru\t/x",
    ],
)
def test_a_department_webhook_must_be_an_http_url(tmp_path, url):
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["departments"][1]["webhook_url"] = url
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        read_city_config(path)
    assert "webhook_url must be an http(s) URL" in info.value.detail


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("", None),
        ("  https://zhkh.example.ru/h ", "https://zhkh.example.ru/h"),
        ("https://мэрия-спасск.рф/обращения", "https://мэрия-спасск.рф/обращения"),
        ("http://10.0.4.7:8080/hook", "http://10.0.4.7:8080/hook"),
        ("http://[::1]:9/hook", "http://[::1]:9/hook"),
    ],
)
def test_a_blank_department_webhook_is_none(tmp_path, url, kept):
    raw = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    raw["departments"][1]["webhook_url"] = url
    path = tmp_path / "city.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    assert read_city_config(path).departments[1].webhook_url == kept
