"""Every step of a reward order renders an e-mail and an SMS, in English and in Russian."""

import pytest
from oscar.core.loading import get_model

from oscar_loyalty.notifications.delivery import render

pytestmark = pytest.mark.django_db

Notification = get_model("oscar_loyalty", "Notification")
CommunicationEventType = get_model("communication", "CommunicationEventType")

PRIZE = {"number": "RW-000042", "reward": "Thermos mug", "kind": "physical", "points": 500, "address": "Moscow"}
VOUCHER = {"number": "RW-000043", "reward": "500 off", "kind": "voucher", "points": 400, "voucher_code": "ABCD2345EF"}
WARRANTY = {
    "number": "RW-000044",
    "reward": "Extra year",
    "kind": "warranty",
    "points": 700,
    "order_number": "100123",
    "warranty_starts_on": "2027-01-31",
    "warranty_ends_on": "2028-01-30",
}
CASES = [
    ("reward_ordered", PRIZE, ["RW-000042", "Thermos mug", "Moscow", "500"], ["RW-000042"]),
    ("reward_ordered", VOUCHER, ["ABCD2345EF", "400"], ["ABCD2345EF"]),
    ("reward_ordered", WARRANTY, ["100123", "2028-01-30"], ["RW-000044"]),
    ("reward_packed", PRIZE, ["RW-000042", "Thermos mug"], ["RW-000042"]),
    ("reward_sent", PRIZE, ["RW-000042", "Thermos mug"], ["RW-000042"]),
    ("reward_delivered", PRIZE, ["RW-000042", "Thermos mug"], ["RW-000042"]),
    ("reward_cancelled", VOUCHER, ["RW-000043", "400"], ["RW-000043"]),
]
RUSSIAN = {"reward_ordered": "приз", "reward_packed": "упакован", "reward_sent": "отправлен"}
RUSSIAN.update(reward_delivered="доставлен", reward_cancelled="отменён")


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("event, context, figures, sms_figures", CASES)
def test_every_step_renders_an_e_mail_and_an_sms(event, context, figures, sms_figures, language):
    messages = render(Notification(event=event, context=context, language=language))

    assert messages["subject"].strip() and "\n" not in messages["subject"].strip()
    for part in ("body", "html"):
        for figure in figures:
            assert figure in messages[part], (part, figure)
    for figure in sms_figures:
        assert figure in messages["sms"]
    if language == "ru":
        assert RUSSIAN[event] in (messages["subject"] + messages["body"]).lower()


def test_the_migration_created_the_event_types():
    types = CommunicationEventType.objects.filter(code__startswith="LOYALTY_REWARD_")
    codes = set(types.values_list("code", flat=True))
    assert codes == {f"LOYALTY_REWARD_{step}" for step in ("ORDERED", "PACKED", "SENT", "DELIVERED", "CANCELLED")}
