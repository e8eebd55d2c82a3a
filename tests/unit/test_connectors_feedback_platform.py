from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.connectors.base import ConnectorPayloadError
from app.connectors.feedback_platform.export import draft_from_export_row, status_code_for_label
from app.connectors.feedback_platform.inbound import FeedbackPlatformConnector
from app.models.drafts import FeedbackDraft
from tests.support.webhooks import encode, sample

TZ = ZoneInfo("Asia/Vladivostok")
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
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
            # A boolean is not a score of 1 (a negative verdict reopens the ticket).
            (encode(sample("pos_message.json") | {"rating": True}), "rating"),
            (encode(sample("pos_message.json") | {"rating": "5"}), "rating"),
            (encode(sample("pos_message.json") | {"rating": 6}), "rating"),
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
        draft = draft_from_export_row(self.ROW, tz=TZ, now=NOW)
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
        draft = draft_from_export_row(self.ROW | {"Оценка ответа заявителем": "4"}, tz=TZ, now=NOW)
        assert draft.feedback == FeedbackDraft(value="4", score=4)
        assert draft.extra["rating"] == 4

    def test_no_planned_date_leaves_the_policy_to_decide(self):
        row = self.ROW | {"Дата планируемого завершения работ": None, "Фаст-трек": "Нет"}
        draft = draft_from_export_row(row, tz=TZ, now=NOW)
        assert (draft.source_due_at, draft.fast_track) == (None, False)

    def test_59_fz_by_either_column(self):
        assert (
            draft_from_export_row(self.ROW | {"ФЗ": "59-ФЗ"}, tz=TZ, now=NOW).kind == "fz59_appeal"
        )
        row = self.ROW | {"Заявитель выбрал подачу по 59-ФЗ": "Да"}
        assert draft_from_export_row(row, tz=TZ, now=NOW).kind == "fz59_appeal"

    def test_bad_date_and_missing_number_are_named(self):
        with pytest.raises(ConnectorPayloadError) as info:
            draft_from_export_row(
                self.ROW | {"Номер": None, "Дата поступления": "2026-11-18"}, tz=TZ, now=NOW
            )
        assert {e["field"] for e in info.value.errors} == {"Номер", "Дата поступления"}

    def test_labels(self):
        assert status_code_for_label("Отклонено модератором") == "MODERATION_DECLINE"
        assert status_code_for_label("Перенос срока обработки утвержден до 01.12") == "POSTPONE"
        assert status_code_for_label("Что-то новое") is None
        # A sheet holding the API's codes: read as those codes (a later row with the label of
        # the same status then changes nothing, rather than being blocked by an unknown one).
        assert status_code_for_label(" send_response ") == "SEND_RESPONSE"
        assert status_code_for_label("TAKE_TO_WORK") == "TAKE_TO_WORK"
        assert status_code_for_label("SEND") is None


FINISHED, PLANNED = "Дата фактического завершения работ", "Дата планируемого завершения работ"


class TestBounds:
    """Every column read is checked per row (issue 23): what cannot be stored, or makes no
    sense, is refused with the column named."""

    @pytest.mark.parametrize(
        ("changes", "column"),
        [
            ({"Номер": "б/н"}, "Номер"),
            ({"Номер": 5.5}, "Номер"),
            ({"Номер": True}, "Номер"),
            ({"Номер": "1" * 20}, "Номер"),
            ({"Дата поступления": "31.12.1999"}, "Дата поступления"),
            ({"Дата поступления": "26.11.2026"}, "Дата поступления"),  # two days ahead
            ({FINISHED: "27.11.2026"}, FINISHED),
            ({PLANNED: "01.01.2028"}, PLANNED),
            ({"Статус": "Назначен исполнитель " + "я" * 50}, "Статус"),
            ({"Факт": "ф" * 161}, "Факт"),
            ({"Тип решения": "т" * 501}, "Тип решения"),
        ],
    )  # fmt: skip
    def test_a_bad_cell_is_refused_naming_its_column(self, changes, column):
        with pytest.raises(ConnectorPayloadError) as info:
            draft_from_export_row(TestExportRow.ROW | changes, tz=TZ, now=NOW)
        assert [e["field"] for e in info.value.errors] == [column]

    def test_the_window_edges_pass(self):
        row = TestExportRow.ROW | {
            "Дата поступления": "25.11.2026",  # city midnight: within a day of now
            PLANNED: "01.11.2027",
            "Номер": "1" * 19,
        }
        draft = draft_from_export_row(row, tz=TZ, now=NOW)
        assert draft.created_at == datetime(2026, 11, 24, 14, tzinfo=UTC)

    @pytest.mark.parametrize("pos_id", ["7" * 65, 2**63, 0, -5, "", {"id": 1}])
    def test_the_pushed_pos_id_is_bounded(self, pos_id):
        item = sample("pos_message.json") | {"posId": pos_id}
        with pytest.raises(ConnectorPayloadError) as info:
            parse(encode(item))
        assert all(e["field"].startswith("posId") for e in info.value.errors)


@pytest.mark.parametrize(
    ("pos_id", "item"), [(563007235, "563007235"), ("563007235", "563007235"), (" 00123 ", "123")]
)
def test_a_pos_number_is_its_digits(pos_id, item):
    body = encode(sample("pos_message.json") | {"posId": pos_id})
    draft = FeedbackPlatformConnector().parse(body)
    assert draft.source_id == item


@pytest.mark.parametrize(
    "pos_id", [True, "б/н", "abc", "Секретова +79241112233", 0, "7" * 20, 1.5, "12.5", None]
)
def test_what_is_not_a_pos_number_is_refused(pos_id):
    """`true` is not message 1, «б/н» would merge every unnumbered message into one ticket, and
    a name would become an id integrations read."""
    with pytest.raises(ConnectorPayloadError) as refused:
        FeedbackPlatformConnector().parse(encode(sample("pos_message.json") | {"posId": pos_id}))
    assert any(e["field"].startswith("posId") for e in refused.value.errors)
    assert "Секретова" not in str(refused.value)


def test_the_export_reads_a_number_as_the_webhook_does():
    row = {
        "Номер": "00123",
        "Дата поступления": datetime(2026, 11, 20, 10, 0),
        "Категория": "Дороги",
        "Статус": "Назначен исполнитель",
    }
    draft = draft_from_export_row(row, tz=ZoneInfo("Asia/Vladivostok"), now=datetime.now(UTC))
    assert draft.source_id == "123"
