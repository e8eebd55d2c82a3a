from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.connectors.base import ConnectorPayloadError
from app.connectors.feedback_platform.inbound import (
    FeedbackPlatformConnector,
    draft_from_export_row,
    status_code_for_label,
)
from app.models.drafts import FeedbackDraft
from tests.support.webhooks import encode, sample

TZ = ZoneInfo("Asia/Vladivostok")
parse = FeedbackPlatformConnector().parse


class TestMessage:
    def test_sample_maps_to_a_draft(self):
        draft = parse(encode(sample("pos_message.json")))
        assert draft.source == "feedback_platform"
        assert draft.source_id == "563007235"
        assert draft.kind == "pos_message"
        assert draft.channel == "gosuslugi"
        assert draft.text.startswith("Во дворе дома 3")
        assert draft.address == "Приморский край, г. Спасск-Дальний, ул. Красногвардейская, д. 3"
        assert draft.category_names == ["Контейнерные площадки", "Мусор"]
        assert draft.source_category == "Мусор / Контейнерные площадки"
        assert draft.source_status == "SET_EXECUTOR"
        assert draft.status is None  # our routing decides; ПОС made no decision we follow
        assert draft.source_updated_at == datetime(2026, 11, 19, 0, 40, tzinfo=UTC)
        assert draft.created_at == datetime(2026, 11, 18, 23, 3, 56, tzinfo=UTC)
        assert draft.source_due_at == datetime(2026, 11, 28, 23, 3, 56, tzinfo=UTC)
        assert draft.fast_track is False
        assert draft.feedback is None
        # The source's own fields stay on the record as given.
        assert draft.extra["answerAt"] == "2026-11-28T23:03:56+00:00"
        assert draft.extra["fastTrack"] is False
        assert draft.attachments == [{"type": "pos_attachment", "id": "88123401"}]

    def test_applicant_personal_data_goes_to_the_applicant(self):
        applicant = parse(encode(sample("pos_message.json"))).applicant
        assert applicant is not None
        assert applicant.full_name == "Петрова Ольга Игоревна"
        assert (applicant.email, applicant.phone, applicant.esia_id) == (
            "o.petrova@example.ru",
            "+79240000000",
            "1000000001",
        )

    def test_fz59_is_an_appeal(self):
        body = sample("pos_message.json") | {"fz59": True, "fastTrack": True}
        draft = parse(encode(body))
        assert draft.kind == "fz59_appeal"
        assert draft.fast_track is True

    def test_rating_is_the_citizens_verdict(self):
        draft = parse(encode(sample("pos_message.json") | {"rating": 2}))
        assert draft.feedback == FeedbackDraft(value="2", score=2)
        with pytest.raises(ConnectorPayloadError):
            parse(encode(sample("pos_message.json") | {"rating": 6}))

    def test_moderation_decline_is_rejected_with_the_reason(self):
        body = sample("pos_message.json")
        body["status"] = "MODERATION_DECLINE"
        body["history"].append(
            {
                "status": "MODERATION_DECLINE",
                "statusText": "Отклонено модератором",
                "createdAt": "2026-11-19T02:00:00Z",
                "answer": {"rejectReason": {"id": 3, "name": "Нецензурная лексика"}},
            }
        )
        draft = parse(encode(body))
        assert (draft.status, draft.status_reason) == ("rejected", "Нецензурная лексика")
        assert draft.source_updated_at == datetime(2026, 11, 19, 2, tzinfo=UTC)

    @pytest.mark.parametrize(
        ("code", "addressee"),
        [
            ("FORWARD_TO_PARENT", "Министерство ЖКХ Приморского края"),
            ("FORWARD_TO_SUBORDINATE", "подведомственная организация"),
        ],
    )
    def test_forward_is_rejected_with_the_addressee(self, code, addressee):
        body = sample("pos_message.json")
        body["status"] = code
        entry = {"status": code, "statusText": "Передано", "createdAt": "2026-11-19T03:00:00Z"}
        if code == "FORWARD_TO_PARENT":
            entry["forwardTo"] = {"name": addressee}
        body["history"].append(entry)
        draft = parse(encode(body))
        assert (draft.status, draft.redirect_to) == ("rejected", addressee)

    def test_answer_sent_in_the_source_is_carried(self):
        body = sample("pos_message.json")
        body["status"] = "SEND_RESPONSE"
        body["history"].append(
            {
                "status": "SEND_RESPONSE",
                "createdAt": "2026-11-20T05:00:00Z",
                "answer": {"answerType": "FINAL", "comment": "Мусор вывезен 20.11."},
            }
        )
        draft = parse(encode(body))
        assert draft.status == "answered"
        assert [(a["kind"], a["text"]) for a in draft.source_answers] == [
            ("final", "Мусор вывезен 20.11.")
        ]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            (b"not json", "body"),
            (b"[1, 2]", "body"),
            (
                encode({k: v for k, v in sample("pos_message.json").items() if k != "description"}),
                "description",
            ),
            (encode(sample("pos_message.json") | {"createdAt": "вчера"}), "createdAt"),
            (
                encode(sample("pos_message.json") | {"createdAt": "2026-11-18T23:03:56"}),
                "createdAt",
            ),
        ],
    )
    def test_invalid_bodies_name_the_field(self, body, field):
        with pytest.raises(ConnectorPayloadError) as info:
            parse(body)
        assert field in {e["field"] for e in info.value.errors}


class TestExportRow:
    ROW = {
        "Номер": 563007235.0,
        "Номер ЕПГУ": "4100000001",
        "Категория": "Автомобильные дороги",
        "Подкатегория": "Ямы, выбоины",
        "Факт": None,
        "Дата поступления": "18.11.2026",
        "Дата планируемого завершения работ": "28.11.2026",
        "Дата фактического завершения работ": None,
        "Статус": "Назначен исполнитель",
        "Фаст-трек": "Да",
        "ФЗ": "Обычное сообщение",
        "Заявитель выбрал подачу по 59-ФЗ": "Нет",
        "Оценка ответа заявителем": "-",
    }

    def test_row_maps_by_titles(self):
        draft = draft_from_export_row(self.ROW, tz=TZ)
        assert draft.source_id == "563007235"
        assert draft.kind == "pos_message"
        assert draft.category_names == ["Ямы, выбоины", "Автомобильные дороги"]
        assert draft.created_at == datetime(2026, 11, 17, 14, tzinfo=UTC)  # midnight, UTC+10
        # The planned date is a whole day: due at its end, city time (UTC+10).
        assert draft.source_due_at == datetime(2026, 11, 28, 13, 59, 59, tzinfo=UTC)
        assert draft.fast_track is True
        assert draft.feedback is None  # «-»: not rated
        assert draft.extra["answerAt"] == "2026-11-28T13:59:59+00:00"
        assert draft.source_status == "SET_EXECUTOR"
        assert "563007235" in draft.text

    def test_rating_column_is_the_citizens_verdict(self):
        draft = draft_from_export_row(self.ROW | {"Оценка ответа заявителем": "4"}, tz=TZ)
        assert draft.feedback == FeedbackDraft(value="4", score=4)
        assert draft.extra["rating"] == 4

    def test_no_planned_date_leaves_the_policy_to_decide(self):
        row = self.ROW | {"Дата планируемого завершения работ": None, "Фаст-трек": "Нет"}
        draft = draft_from_export_row(row, tz=TZ)
        assert (draft.source_due_at, draft.fast_track) == (None, False)

    def test_59_fz_by_either_column(self):
        assert draft_from_export_row(self.ROW | {"ФЗ": "59-ФЗ"}, tz=TZ).kind == "fz59_appeal"
        row = self.ROW | {"Заявитель выбрал подачу по 59-ФЗ": "Да"}
        assert draft_from_export_row(row, tz=TZ).kind == "fz59_appeal"

    def test_bad_date_and_missing_number_are_named(self):
        with pytest.raises(ConnectorPayloadError) as info:
            draft_from_export_row(
                self.ROW | {"Номер": None, "Дата поступления": "2026-11-18"}, tz=TZ
            )
        assert {e["field"] for e in info.value.errors} == {"Номер", "Дата поступления"}

    def test_labels(self):
        assert status_code_for_label("Отклонено модератором") == "MODERATION_DECLINE"
        assert status_code_for_label("Перенос срока обработки утвержден до 01.12") == "POSTPONE"
        assert status_code_for_label("Что-то новое") is None
