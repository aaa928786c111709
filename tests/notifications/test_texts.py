"""The texts: Oscar's communication framework renders every event in English and in Russian."""

import pytest
from oscar.core.loading import get_model

from oscar_loyalty.notifications.delivery import render

pytestmark = pytest.mark.django_db

Notification = get_model("oscar_loyalty", "Notification")
CommunicationEventType = get_model("communication", "CommunicationEventType")

CONTEXTS = {
    Notification.WELCOME: {},
    Notification.ACCRUED: {
        "points": 305,
        "order_number": "100123",
        "pending": True,
        "available_at": "2025-12-14T12:00:00+00:00",
        "expires_at": "2026-12-01T12:00:00+00:00",
    },
    Notification.AVAILABLE: {"points": 305, "order_number": "100123", "expires_at": "2026-12-01T12:00:00+00:00"},
    Notification.TIER_UPGRADED: {
        "tier": "Gold",
        "old_tier": "Silver",
        "cashback_percent": "5.00",
        "max_share_percent": "30.00",
    },
    Notification.EXPIRING: {
        "points": 305,
        "days": 30,
        "expires_at": "2025-12-26T12:00:00+00:00",
        "last_expires_at": "2026-01-05T12:00:00+00:00",
        "one_day": False,
        "lots": [1, 2],
    },
    Notification.ADJUSTED: {"points": -305, "reason": "Duplicate accrual"},
    Notification.TIER_DOWNGRADED: {
        "tier": "Silver",
        "old_tier": "Gold",
        "cashback_percent": "3.00",
        "max_share_percent": "20.00",
    },
    Notification.BIRTHDAY: {"points": 300, "expires_at": "2026-05-24T12:00:00+00:00"},
    # The reward orders' steps (every kind of reward is in tests/rewards/test_texts.py).
    **{
        event: {"number": "RW-000042", "reward": "Thermos mug", "kind": "physical", "points": 500, "address": "Moscow"}
        for event in (
            Notification.REWARD_ORDERED,
            Notification.REWARD_PACKED,
            Notification.REWARD_SENT,
            Notification.REWARD_DELIVERED,
            Notification.REWARD_CANCELLED,
        )
    },
}
# What each text must say, whatever the language.
FIGURES = {
    Notification.WELCOME: [],
    Notification.ACCRUED: ["305", "14"],
    Notification.AVAILABLE: ["305", "2026"],
    Notification.TIER_UPGRADED: ["Gold", "5"],
    Notification.EXPIRING: ["305", "26"],
    Notification.ADJUSTED: ["305"],
    Notification.TIER_DOWNGRADED: ["Silver", "3"],
    Notification.BIRTHDAY: ["300"],
    Notification.REWARD_ORDERED: ["RW-000042"],
    Notification.REWARD_PACKED: ["RW-000042"],
    Notification.REWARD_SENT: ["RW-000042"],
    Notification.REWARD_DELIVERED: ["RW-000042"],
    Notification.REWARD_CANCELLED: ["RW-000042"],
}


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("event", [code for code, _label in Notification.EVENT_CHOICES])
def test_every_event_renders_an_e_mail_and_an_sms(event, language):
    notification = Notification(event=event, context=CONTEXTS[event], language=language)

    messages = render(notification)

    assert messages["subject"].strip()
    assert "\n" not in messages["subject"]
    for part in ("body", "html", "sms"):
        for figure in FIGURES[event]:
            assert figure in messages[part], (part, figure)
    assert messages["sms"].strip()


def test_the_customers_text_is_escaped_in_html():
    notification = Notification(
        event=Notification.ADJUSTED, context={"points": 5, "reason": "<script>alert(1)</script>"}, language="en"
    )

    messages = render(notification)

    assert "<script>" not in messages["html"]
    assert "&lt;script&gt;" in messages["html"]
    assert "Reason: <script>alert(1)</script>" in messages["body"]  # plain text is not HTML


def test_a_shop_overrides_a_text_in_the_dashboard():
    CommunicationEventType.objects.filter(code="LOYALTY_ACCRUED").update(email_subject_template="Bonus! +{{ points }}")
    notification = Notification(event=Notification.ACCRUED, context=CONTEXTS[Notification.ACCRUED], language="en")

    assert render(notification)["subject"] == "Bonus! +305"


@pytest.mark.parametrize(
    "event, context, subject, sms",
    [
        (Notification.EXPIRING, CONTEXTS[Notification.EXPIRING], "305 бонусов сгорят в течение 30 дней", "первые"),
        (Notification.TIER_DOWNGRADED, CONTEXTS[Notification.TIER_DOWNGRADED], "Ваш статус теперь: Silver", "3%"),
        (
            Notification.TIER_DOWNGRADED,
            {"tier": "", "old_tier": "Gold", "cashback_percent": None, "max_share_percent": None},
            "Ваш статус Gold больше не действует",
            "больше не действует",
        ),
        (Notification.BIRTHDAY, CONTEXTS[Notification.BIRTHDAY], "С днём рождения от example.com!", "300 бонусов"),
    ],
)
def test_the_new_texts_are_translated_into_russian(event, context, subject, sms):
    messages = render(Notification(event=event, context=context, language="ru"))

    assert messages["subject"].strip() == subject
    assert sms in messages["sms"]
    assert "Здравствуйте" in messages["body"]
    assert "status" not in messages["body"] + messages["html"] + messages["sms"]


def test_a_digest_of_lots_expiring_on_one_day_names_that_day():
    context = dict(CONTEXTS[Notification.EXPIRING], one_day=True)

    messages = render(Notification(event=Notification.EXPIRING, context=context, language="en"))

    assert messages["subject"].strip() == "305 bonus points expire within 30 days"
    assert "305 of your bonus points expire on 26 December 2025." in " ".join(messages["body"].split())
