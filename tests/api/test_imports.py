import httpx
import pytest
from sqlmodel import select

from app.main import create_app
from app.models.tickets import Ticket
from tests.support.builders import auth, make_key
from tests.support.intake import processed
from tests.support.webhooks import PROBLEM, webhook_settings
from tests.support.xlsx import header, workbook_bytes

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
POS_COLUMNS = list(reversed(header("pos")))  # any order: columns are found by title
IM_COLUMNS = [c for c in header("im") if c != "Текст"]  # the text column may be absent


def pos_row(number, **changes):
    row = {
        "Номер": number,
        "Номер ЕПГУ": f"41{number}",
        "Источник": "ЕПГУ",
        "Категория": "Мусор",
        "Подкатегория": "Контейнерные площадки",
        "Дата поступления": "18.11.2026",
        "Дата планируемого завершения работ": "28.11.2026",
        "Статус": "Назначен исполнитель",
        "Просрочено": "Нет",
        "Фаст-трек": "Нет",
        "ФЗ": "Обычное сообщение",
        "Заявитель выбрал подачу по 59-ФЗ": "Нет",
        "Оценка ответа заявителем": "-",
        "ФИО исполнителя": "Иванов И. И.",
    }
    row.update(changes)
    return row


def im_row(url, **changes):
    row = {
        "Муниципалитет": "Спасск-Дальний",
        "Дата создания": "19.11.2026",
        "Группа тем": "ЖКХ",
        "Тема": "Отопление",
        "Важность": "Высокая",
        "Отдел / Исполнитель": "Отдел ЖКХ",
        "Урл блога": url,
    }
    row.update(changes)
    return row


def pos_file(rows):
    return workbook_bytes([("Лист1", POS_COLUMNS, rows)], title_rows=2)


def im_file(rows):
    return workbook_bytes(
        [
            ("Инциденты", ["Отдел / Исполнитель", "Важность"], [{"Важность": "ЛС"}]),
            ("Детализация", IM_COLUMNS, rows),
        ]
    )


@pytest.fixture
async def importer(db):
    return auth(await make_key(db, "integration", "press"))


async def upload(client, source, content, headers, name="export.xlsx"):
    files = {"file": (name, content, XLSX)}
    return await client.post(f"/api/v1/imports/{source}", files=files, headers=headers)


async def tickets(db, source):
    async with db.sessionmaker() as session:
        rows = await session.exec(select(Ticket).where(Ticket.source == source))
        return {t.source_id: t for t in rows.all()}


class TestFeedbackPlatformExport:
    async def test_import_then_reimport_changes_nothing(self, client, db, importer):
        rows = [
            pos_row(563007235),
            pos_row(563007236, Категория="Автомобильные дороги", Подкатегория="Ямы, выбоины"),
            pos_row(563007237, **{"Дата поступления": "31.02.2026"}),  # malformed
            pos_row(563007238, Статус="Отклонено модератором", **{"Тип решения": "Спам"}),
        ]
        first = await upload(client, "feedback-platform", pos_file(rows), importer)
        assert first.status_code == 200, first.text
        report = first.json()
        # Two title rows and the header come first: data starts on row 4.
        assert (report["rows"], report["created"]) == (4, [4, 5, 7])
        (bad,) = report["rejected"]
        assert bad["row"] == 6 and "Дата поступления" in bad["reason"]

        stored = await tickets(db, "feedback_platform")
        assert set(stored) == {"563007235", "563007236", "563007238"}
        assert stored["563007235"].category_code == "waste"
        assert stored["563007236"].category_code == "roads"
        assert (stored["563007238"].status, stored["563007238"].status_reason) == (
            "rejected",
            "Спам",
        )
        versions = {k: t.version for k, t in stored.items()}

        again = await upload(client, "feedback-platform", pos_file(rows), importer)
        assert again.json()["created"] == [] and again.json()["updated"] == []
        assert again.json()["unchanged"] == [4, 5, 7]
        assert [r["row"] for r in again.json()["rejected"]] == [6]
        assert {k: t.version for k, t in (await tickets(db, "feedback_platform")).items()} == (
            versions
        )

    async def test_a_later_export_updates(self, client, db, importer):
        await upload(client, "feedback-platform", pos_file([pos_row(563007235)]), importer)
        later = pos_row(
            563007235, Статус="Отправлен ответ заявителю", **{"Оценка ответа заявителем": 5}
        )
        r = await upload(client, "feedback-platform", pos_file([later]), importer)
        assert r.json()["updated"] == [4]
        ticket = (await tickets(db, "feedback_platform"))["563007235"]
        assert (ticket.status, ticket.extra["rating"]) == ("answered", 5)

    async def test_missing_columns_are_named(self, client, importer):
        content = workbook_bytes([("Лист1", ["Номер", "Категория"], [{"Номер": 1}])])
        r = await upload(client, "feedback-platform", content, importer)
        assert r.status_code == 422
        assert r.headers["content-type"] == PROBLEM
        assert "Дата поступления" in r.json()["detail"]

    async def test_not_a_workbook(self, client, importer):
        r = await upload(
            client, "feedback-platform", "Номер;Категория\n1;Мусор\n".encode(), importer
        )
        assert r.status_code == 422


class TestIncidentManagementExport:
    async def test_rows_without_text_hold_theme_and_url(self, client, db, importer):
        rows = [
            im_row("https://vk.com/wall-100000000_4242"),
            im_row(
                "https://t.me/spassk_chat/77", Тема="Ямы на дорогах", **{"Группа тем": "Дороги"}
            ),
            im_row(None),  # no URL: no identity
            im_row(
                "https://ok.ru/group/1/topic/2",
                Важность="ЛС",
                **{"Причина закрытия": "Автор доволен"},
            ),
        ]
        r = await upload(client, "incident-management", im_file(rows), importer)
        assert r.status_code == 200, r.text
        report = r.json()
        assert report["created"] == [2, 3, 5]
        assert [x["row"] for x in report["rejected"]] == [4]
        assert "Урл блога" in report["rejected"][0]["reason"]

        stored = await tickets(db, "incident_management")
        vk = stored["vk.com/wall-100000000_4242"]
        assert vk.text == "ЖКХ / Отопление: https://vk.com/wall-100000000_4242"
        assert (vk.channel, vk.priority, vk.category_code) == ("vk", "high", "heating")
        assert stored["t.me/spassk_chat/77"].channel == "telegram"
        ok = stored["ok.ru/group/1/topic/2"]
        assert (ok.priority, ok.status, ok.extra["private_message"]) == ("normal", "closed", True)

        again = await upload(client, "incident-management", im_file(rows), importer)
        assert (again.json()["created"], again.json()["unchanged"]) == ([], [2, 3, 5])

    async def test_import_and_webhook_share_the_post_identity(self, client, db, importer):
        from tests.support.webhooks import IM_URL, encode, sample, signed

        await upload(
            client,
            "incident-management",
            im_file([im_row("https://vk.com/wall-100000000_4242")]),
            importer,
        )
        app = create_app(db=db, settings=webhook_settings())
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as hooks:
            body = encode(sample("im_incident.json"))
            r = await hooks.post(IM_URL, content=body, headers=signed(body))
        assert (await processed(db, r))["status"] == "updated"
        (ticket,) = (await tickets(db, "incident_management")).values()
        assert ticket.text.startswith("На перекрёстке Ленина и Советской")


class TestAccess:
    async def test_operators_may_not_import(self, client, db):
        operator = auth(await make_key(db, "operator", "roads"))
        r = await upload(client, "feedback-platform", pos_file([pos_row(1)]), operator)
        assert r.status_code == 403

    async def test_upload_cap_is_413(self, db, importer):
        app = create_app(db=db, settings=webhook_settings(import_max_bytes=2048))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as small:
            rows = [pos_row(n) for n in range(1, 200)]
            r = await upload(small, "feedback-platform", pos_file(rows), importer)
        assert r.status_code == 413
        assert r.headers["content-type"] == PROBLEM


async def test_rows_without_the_citizens_words_are_never_merged(client, db, importer):
    """An export without text gets a made-up text (the number and the category, the same for
    every row of a category): different citizens' appeals must stay apart."""
    pos = [
        pos_row(n, Категория="Автомобильные дороги", Подкатегория="Ямы, выбоины")
        for n in range(5001, 5006)
    ]
    im = [im_row(f"https://vk.com/wall-1_{n}") for n in range(1, 5)]
    assert (
        len((await upload(client, "feedback-platform", pos_file(pos), importer)).json()["created"])
        == 5
    )
    assert (
        len((await upload(client, "incident-management", im_file(im), importer)).json()["created"])
        == 4
    )
    async with db.sessionmaker() as session:
        statuses = (await session.exec(select(Ticket.status))).all()
    assert len(statuses) == 9 and "merged" not in statuses
