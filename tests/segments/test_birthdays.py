"""Birthdays: set once by the customer, changed by staff, and one bonus per calendar year whatever the changes."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.campaigns import snapshot
from oscar_loyalty.segments import birthdays, services
from tests.campaigns.helpers import make_rule
from tests.factories import UserFactory

CustomerBirthday = get_model("oscar_loyalty", "CustomerBirthday")
Lot = get_model("oscar_loyalty", "Lot")
Notification = get_model("oscar_loyalty", "Notification")
CampaignRule = get_model("oscar_loyalty", "CampaignRule")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def birthday_rule(settings):
    settings.OSCAR_LOYALTY_BIRTHDAY_DAYS_BEFORE = 7
    make_rule("Birthday", basis="event", event="birthday", reward="fixed", value=300, hold_days=0, expires_in_days=14)


def at(day):
    return timezone.make_aware(datetime(day.year, day.month, day.day, 12))


def lots(user):
    return list(Lot.objects.filter(account__user=user, origin=Lot.CAMPAIGN))


@pytest.mark.parametrize(
    ("birthday", "today", "expected"),
    [
        (date(1990, 5, 10), date(2026, 5, 1), date(2026, 5, 10)),
        (date(1990, 5, 10), date(2026, 5, 10), date(2026, 5, 10)),
        (date(1990, 5, 10), date(2026, 5, 11), date(2027, 5, 10)),
        (date(1992, 2, 29), date(2026, 2, 1), date(2026, 2, 28)),
        (date(1992, 2, 29), date(2028, 2, 1), date(2028, 2, 29)),
        (date(1990, 1, 2), date(2026, 12, 28), date(2027, 1, 2)),
    ],
)
def test_the_next_birthday(birthday, today, expected):
    assert services.next_birthday(birthday, today) == expected


@pytest.mark.parametrize(
    ("today", "inside"),
    [(date(2026, 5, 3), True), (date(2026, 5, 2), False), (date(2026, 5, 13), True), (date(2026, 5, 14), False)],
)
def test_the_birthday_window(today, inside):
    assert services.in_birthday_window(date(1990, 5, 10), today, days_before=7, days_after=3) is inside


def test_the_window_crosses_the_new_year():
    assert services.in_birthday_window(date(1990, 1, 2), date(2026, 12, 28), days_before=7, days_after=0)
    assert services.in_birthday_window(date(1990, 12, 30), date(2027, 1, 2), days_before=0, days_after=3)


def test_a_customer_sets_their_birthday_once():
    user = UserFactory()
    services.set_birthday_by_customer(user, date(1990, 5, 10))

    with pytest.raises(services.BirthdayAlreadySet):
        services.set_birthday_by_customer(user, date(1990, 5, 20))

    assert services.birthday_of(user) == date(1990, 5, 10)


@pytest.mark.parametrize("birthday", [date(2999, 1, 1), date(1850, 1, 1), "1990-05-10"])
def test_an_impossible_birthday_is_refused_and_nothing_is_stored(birthday):
    user = UserFactory()
    with pytest.raises(services.SegmentError):
        services.set_birthday_by_customer(user, birthday)
    assert services.birthday_of(user) is None


def test_staff_change_a_birthday_with_their_name_on_record():
    user = UserFactory()
    services.set_birthday_by_customer(user, date(1990, 5, 10))

    services.set_birthday_by_staff(user, date(1990, 6, 1), actor="Olga (support)")

    record = CustomerBirthday.objects.get(user=user)
    assert (record.birthday, record.set_by, record.changed_by_name) == (
        date(1990, 6, 1),
        CustomerBirthday.STAFF,
        "Olga (support)",
    )
    with pytest.raises(services.SegmentError):
        services.set_birthday_by_staff(user, date(1990, 6, 2), actor="")


def test_the_bonus_comes_seven_days_before_and_burns_fourteen_days_after():
    user = UserFactory()
    services.set_birthday_by_customer(user, date(1990, 5, 10), now=at(date(2026, 1, 1)))

    assert birthdays.award_birthdays(at(date(2026, 5, 2))) == 0
    assert birthdays.award_birthdays(at(date(2026, 5, 3))) == 1

    (lot,) = lots(user)
    assert lot.points == 300
    assert timezone.localdate(lot.expires_at) == date(2026, 5, 24)
    assert ledger.get_balance(user, now=at(date(2026, 5, 3))).available == 300


def test_the_customer_is_greeted_once_with_the_present_and_when_it_burns():
    user = UserFactory()
    services.set_birthday_by_customer(user, date(1990, 5, 10), now=at(date(2026, 1, 1)))

    birthdays.award_birthdays(at(date(2026, 5, 3)))
    birthdays.award_birthdays(at(date(2026, 5, 4)))

    greetings = Notification.objects.filter(user=user, event=Notification.BIRTHDAY)
    assert greetings.exists()
    assert {row.key.rsplit(":", 1)[0] for row in greetings} == {f"birthday:{user.pk}:2026"}
    assert all(row.context["points"] == 300 and row.context["expires_at"].startswith("2026-05-24") for row in greetings)


def test_no_rule_no_bonus_and_no_greeting():
    CampaignRule.objects.update(is_active=False)
    for rule in CampaignRule.objects.all():
        snapshot.publish(rule)
    user = UserFactory()
    services.set_birthday_by_customer(user, date(1990, 5, 10), now=at(date(2026, 1, 1)))

    assert birthdays.award_birthdays(at(date(2026, 5, 3))) == 0
    assert not lots(user)
    assert not Notification.objects.filter(user=user, event=Notification.BIRTHDAY).exists()


def test_the_daily_pass_run_every_day_of_the_window_gives_one_bonus():
    user = UserFactory()
    services.set_birthday_by_customer(user, date(1990, 5, 10), now=at(date(2026, 1, 1)))
    for offset in range(8):
        birthdays.award_birthdays(at(date(2026, 5, 3) + timedelta(days=offset)))
    assert len(lots(user)) == 1


def test_a_birthday_moved_by_staff_does_not_give_a_second_bonus_in_the_same_year():
    user = UserFactory()
    services.set_birthday_by_customer(user, date(1990, 5, 10), now=at(date(2026, 1, 1)))
    birthdays.award_birthdays(at(date(2026, 5, 5)))

    services.set_birthday_by_staff(user, date(1990, 9, 1), actor="Olga", now=at(date(2026, 6, 1)))
    birthdays.award_birthdays(at(date(2026, 8, 30)))
    assert len(lots(user)) == 1

    birthdays.award_birthdays(at(date(2027, 8, 30)))  # next year's birthday earns again
    assert len(lots(user)) == 2


def test_a_29_february_birthday_is_celebrated_on_28_february_in_other_years():
    user = UserFactory()
    services.set_birthday_by_customer(user, date(1992, 2, 29), now=at(date(2026, 1, 1)))
    birthdays.award_birthdays(at(date(2026, 2, 21)))
    assert len(lots(user)) == 1


def test_inactive_customers_get_no_bonus():
    user = UserFactory(is_active=False)
    services.set_birthday_by_customer(user, date(1990, 5, 10), now=at(date(2026, 1, 1)))
    assert birthdays.award_birthdays(at(date(2026, 5, 5))) == 0
