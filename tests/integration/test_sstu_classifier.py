"""The classifier as data: editions loaded with `appeals load-config`, retired codes, category
defaults checked against it; and `appeals sstu check|export` as the press service runs them."""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from app.directory.city_config import CityConfig
from app.directory.city_setup import apply_city_config
from app.errors import ValidationFailed
from app.models.sstu import SstuClassifierEntry
from app.sstu.classifier import apply_classifier, read_classifier
from tests.support.builders import auth, make_key, make_ticket
from tests.support.servers import ROOT, app_env
from tests.support.sstu_month import MONTH, local, make_month

CLASSIFIER = ROOT / "config" / "sstu_classifier.yaml"
CITY = ROOT / "config" / "city.example.yaml"
CLI = [sys.executable, "-c", "from app.cli.root import main; main()"]


def appeals(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        env=app_env(database_url, APPEALS_PUBLIC_URL="https://hub.spassk.example"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def edition_without(path: Path, code: str) -> Path:
    raw = yaml.safe_load(CLASSIFIER.read_text(encoding="utf-8"))
    raw["classifier"]["edition"] = "следующая редакция"
    raw["classifier"]["entries"] = [e for e in raw["classifier"]["entries"] if e["code"] != code]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


async def test_reloading_an_edition_changes_nothing(db):
    async with db.sessionmaker() as session:
        counts = await apply_classifier(session, read_classifier(CLASSIFIER))
    assert counts == {}


async def test_a_newer_edition_retires_what_it_drops(client, db, tmp_path):
    gone = "0005.0005.0056.1155"  # gas outages: no category's default
    async with db.sessionmaker() as session:
        counts = await apply_classifier(
            session, read_classifier(edition_without(tmp_path / "e.yaml", gone))
        )
        await session.commit()
        row = await session.get(SstuClassifierEntry, gone)
    assert counts["classifier_retired"] == 1 and counts["classifier_updated"] == 53
    # Retired, it keeps the edition it was last listed in.
    assert row is not None and row.retired and row.edition.startswith("ОТКО")
    ticket = await make_ticket(db, kind="fz59_appeal", category_code="power")
    operator = await make_key(db, "operator", "zhkh")
    listed = await client.get(
        "/api/v1/sstu/classifier", params={"questions": "true"}, headers=auth(operator)
    )
    assert gone not in {e["code"] for e in listed.json()}
    r = await client.put(
        f"/api/v1/tickets/{ticket.id}/sstu",
        json={"questions": [{"code": gone}]},
        headers=auth(operator),
    )
    assert r.status_code == 422


async def test_a_category_default_must_be_a_loaded_question(db):
    raw = yaml.safe_load(CITY.read_text(encoding="utf-8"))
    raw["categories"][0]["sstu_question"] = "0009.0009.0009.0009"
    config = CityConfig.model_validate(raw)
    config.base_dir = CITY.parent
    async with db.sessionmaker() as session:
        with pytest.raises(ValidationFailed, match=r"roads: 0009\.0009\.0009\.0009"):
            await apply_city_config(session, config)
        await session.rollback()


async def test_load_config_takes_a_classifier_file(db, database_url, tmp_path):
    path = edition_without(tmp_path / "edition.yaml", "0005.0005.0056.1155")
    done = await asyncio.to_thread(appeals, database_url, "load-config", str(path))
    assert done.returncode == 0, done.stderr
    assert "classifier_retired: 1" in done.stdout
    async with db.sessionmaker() as session:
        retired = (
            await session.exec(select(SstuClassifierEntry).where(SstuClassifierEntry.retired))
        ).all()
    assert [e.code for e in retired] == ["0005.0005.0056.1155"]


async def test_check_and_export_from_the_command_line(app, client, db, database_url, tmp_path):
    admin = await make_key(db, "admin")
    appeals_made = await make_month(app, client, db, admin)
    uncoded = await make_ticket(
        db, kind="fz59_appeal", category_code="other", now=local("2026-11-29")
    )

    check = await asyncio.to_thread(appeals, database_url, "sstu", "check", "--month", MONTH)
    assert check.returncode == 1
    assert check.stdout.splitlines() == [
        f"{uncoded.number}\thttps://hub.spassk.example/console/tickets/{uncoded.id}\t"
        "question 1: a classifier code"
    ]
    assert "9 documents, 1 appeals need attention" in check.stderr

    out = tmp_path / "sstu.zip"
    export = await asyncio.to_thread(
        appeals, database_url, "sstu", "export", "--month", MONTH, "--out", str(out)
    )
    assert export.returncode == 0, export.stderr
    assert "writing documents" in export.stderr  # the progress bar
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as zf:
        names = sorted(zf.namelist())
        first = json.loads(zf.read(names[0]))
    wanted = sorted(f"{MONTH}/{a.number}.json" for a in appeals_made if a.expect)
    assert names == wanted
    # The file for the upload carries what the city's profile asks for: the applicant's name.
    assert first["name"] == "Петрова Ольга Игоревна"

    upload = await asyncio.to_thread(appeals, database_url, "sstu", "upload", "--month", MONTH)
    assert upload.returncode == 1 and "not ready for ССТУ.РФ" in upload.stderr
