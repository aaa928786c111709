"""The birthday bonus: the daily pass that gives it, a few days before the birthday, once a year.

The award's key is ``birthday:<customer>:<year of the birthday>``, so a date
changed by staff (or any number of passes, on any number of workers) still
gives one bonus per calendar year. The campaign rules for the "birthday"
event say how many points; their expiry counts from the birthday (the date
goes in the award's context), so "burn M days after the birthday" is the
rule's ``expires_in_days``.
"""

from __future__ import annotations

from datetime import timedelta
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_loyalty.notifications import services as notifications
from oscar_loyalty.referrals import awards
from oscar_loyalty.segments.services import next_birthday
from oscar_loyalty.settings import loyalty_settings

CustomerBirthday = get_model("oscar_loyalty", "CustomerBirthday")
Lot = get_model("oscar_loyalty", "Lot")
Notification = get_model("oscar_loyalty", "Notification")


def window_days(today, days_before):
    """(month, day) pairs of the birthdays whose bonus is due today: from today to ``days_before`` days ahead."""
    pairs = set()
    for offset in range(days_before + 1):
        day = today + timedelta(days=offset)
        pairs.add((day.month, day.day))
        if (day.month, day.day) == (2, 28) and not _leap(day.year):
            pairs.add((2, 29))  # kept on 28 February in other years
    return sorted(pairs)


def _leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def due_birthdays(today, days_before):
    """The birthdays whose bonus is due: one query."""
    condition = reduce(or_, (Q(birthday__month=m, birthday__day=d) for m, d in window_days(today, days_before)))
    return CustomerBirthday.objects.filter(condition, user__is_active=True).select_related("user")


def award_birthday(record, *, today, now):
    """Give one customer their birthday bonus for the coming birthday; the key keeps it to once a year."""
    day = next_birthday(record.birthday, today)
    key = f"birthday:{record.user_id}:{day.year}"
    points = awards.award(record.user, awards.BIRTHDAY, key=key, now=now, context={"birthday": day.isoformat()})
    if points:
        greet(record.user_id, key, points, now=now)
    return points


def greet(user_id, key, points, *, now):
    """The birthday greeting, naming the present and when it burns; once per key, like the bonus."""
    expires_at = (
        Lot.objects.filter(account__user_id=user_id, journal__key__startswith=f"{key}:", origin=Lot.CAMPAIGN)
        .order_by("expires_at")
        .values_list("expires_at", flat=True)
        .first()
    )
    return notifications.notify(
        user_id, Notification.BIRTHDAY, key=key, context={"points": points, "expires_at": expires_at}, now=now
    )


def award_birthdays(now=None):
    """The daily pass: every birthday due gets its bonus (asking again is harmless).

    Returns how many of the customers due have their bonus (given now or on an earlier day).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    given = 0
    for record in due_birthdays(today, loyalty_settings.BIRTHDAY_DAYS_BEFORE):
        if award_birthday(record, today=today, now=now):
            given += 1
    return given
