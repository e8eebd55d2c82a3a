from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app.connectors.base import ConnectorPayloadError
from app.connectors.common import channel_for, post_url_key
from app.connectors.incident_management.export import draft_from_export_row
from app.connectors.incident_management.inbound import IncidentManagementConnector, close_reason
from app.models.drafts import FeedbackDraft
from app.models.feedback import Sentiment
from tests.support.webhooks import encode, sample

TZ = ZoneInfo("Asia/Vladivostok")
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
parse = IncidentManagementConnector().parse


def test_sample_maps_to_a_draft():
    draft = parse(encode(sample("im_incident.json")))
    assert draft.source == "incident_management"
    assert draft.source_id == "vk.com/wall-100000000_4242"
    assert draft.source_url == "https://vk.com/wall-100000000_4242"
    assert draft.kind == "social_post"
    assert draft.channel == "vk"
    assert draft.priority == "high"
    assert draft.category_names == ["Светофоры", "Дороги"]
    assert (draft.lat, draft.lon) == (44.5969, 132.8183)
    assert draft.source_updated_at == datetime(2026, 11, 18, 23, 40, tzinfo=UTC)
    assert draft.attachments == [{"url": "https://sun9-1.userapi.com/example.jpg", "type": "photo"}]
    assert draft.extra["im_id"] == "im-20261119-004211"
    assert draft.extra["related_posts"] == ["https://ok.ru/group/1/topic/2"]
    assert draft.applicant is not None
    assert draft.applicant.full_name == "Сергей К."
    assert draft.applicant.profile_url == "https://vk.com/id100000001"
    assert (draft.fast_track, draft.source_due_at, draft.feedback) == (False, None, None)


@pytest.mark.parametrize(
    ("reason", "sentiment"),
    [
        ("Автор доволен", Sentiment.positive),
        (" автор нейтрален ", Sentiment.neutral),
        ("Автор недоволен", Sentiment.negative),
    ],
)
def test_close_reason_is_the_authors_verdict(reason, sentiment):
    assert close_reason(reason) == FeedbackDraft(value=reason.strip(), sentiment=sentiment)


def test_other_close_reasons_say_nothing_about_the_answer():
    assert close_reason("Дубль") is None and close_reason(None) is None
    body = sample("im_incident.json") | {"closure_reason": "Автор недоволен"}
    draft = parse(encode(body))
    assert draft.feedback == FeedbackDraft("Автор недоволен", sentiment=Sentiment.negative)


def test_private_message_is_normal_with_a_note():
    draft = parse(encode(sample("im_incident.json") | {"importance": "ЛС"}))
    assert draft.priority == "normal"
    assert draft.extra["private_message"] is True


def test_unknown_importance_is_a_field_error():
    with pytest.raises(ConnectorPayloadError) as info:
        parse(encode(sample("im_incident.json") | {"importance": "Срочно!!!"}))
    assert info.value.errors[0]["field"] == "importance"


def test_missing_post_url_is_a_field_error():
    body = {k: v for k, v in sample("im_incident.json").items() if k != "post_url"}
    with pytest.raises(ConnectorPayloadError) as info:
        parse(encode(body))
    assert "post_url" in {e["field"] for e in info.value.errors}


@pytest.mark.parametrize(
    ("network", "url", "channel"),
    [
        ("ok", None, "ok"),
        ("telegram", None, "telegram"),
        (None, "https://t.me/spassk/15", "telegram"),
        (None, "https://www.ok.ru/group/1/topic/2", "ok"),
        ("dzen", "https://dzen.ru/a/xyz", "other"),
    ],
)
def test_channels(network, url, channel):
    assert channel_for(network, url) == channel


def test_post_url_key_is_stable():
    assert post_url_key("https://www.VK.com/wall-1_2/") == post_url_key("http://vk.com/wall-1_2")
    assert post_url_key("vk.com/wall-1_2?utm_source=x") == "vk.com/wall-1_2"
    long = "https://example.org/" + "a" * 300
    assert post_url_key(long).startswith("url-sha256:")


def test_export_row_without_text_holds_theme_and_url():
    row = {
        "Муниципалитет": "Спасск-Дальний",
        "Дата создания": "19.11.2026",
        "Группа тем": "ЖКХ",
        "Тема": "Отопление",
        "Важность": "Обычная",
        "Урл блога": "https://ok.ru/group/1/topic/2",
    }
    draft = draft_from_export_row(row, tz=TZ, now=NOW)
    assert draft.text == "ЖКХ / Отопление: https://ok.ru/group/1/topic/2"
    assert draft.channel == "ok"
    assert draft.source_id == "ok.ru/group/1/topic/2"
    assert draft.status is None


def test_export_row_closed_with_reason():
    row = {
        "Дата создания": "19.11.2026 10:15",
        "Группа тем": "Дороги",
        "Тема": "Ямы на дорогах",
        "Текст": "Яма на Ленина",
        "Важность": "Высокая",
        "Причина закрытия": "Автор доволен",
        "Урл блога": "https://vk.com/wall-1_5",
    }
    draft = draft_from_export_row(row, tz=TZ, now=NOW)
    assert (draft.text, draft.priority, draft.status) == ("Яма на Ленина", "high", "closed")
    assert draft.feedback == FeedbackDraft("Автор доволен", sentiment=Sentiment.positive)
    assert draft.created_at == datetime(2026, 11, 19, 0, 15, tzinfo=UTC)


@pytest.mark.parametrize("url", ["not a url", "abc", "https://", "javascript:alert(1)", " "])
def test_a_post_url_must_be_an_address(url):
    """The post's URL is the item's identity (webhooks and imports share it): words are not."""
    with pytest.raises(ConnectorPayloadError) as info:
        IncidentManagementConnector().parse(encode(sample("im_incident.json") | {"post_url": url}))
    assert "post_url" in {e["field"] for e in info.value.errors}
