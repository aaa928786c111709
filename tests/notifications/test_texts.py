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
    Notification.EXPIRING: {"points": 305, "expires_at": "2025-12-26T12:00:00+00:00", "order_number": "", "days": 30},
    Notification.ADJUSTED: {"points": -305, "reason": "Duplicate accrual"},
}
# What each text must say, whatever the language.
FIGURES = {
    Notification.WELCOME: [],
    Notification.ACCRUED: ["305", "14"],
    Notification.AVAILABLE: ["305", "2026"],
    Notification.TIER_UPGRADED: ["Gold", "5"],
    Notification.EXPIRING: ["305", "26"],
    Notification.ADJUSTED: ["305"],
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
    CommunicationEventType.objects.create(
        code="LOYALTY_ACCRUED", name="Points accrued", email_subject_template="Bonus! +{{ points }}"
    )
    notification = Notification(event=Notification.ACCRUED, context=CONTEXTS[Notification.ACCRUED], language="en")

    assert render(notification)["subject"] == "Bonus! +305"
