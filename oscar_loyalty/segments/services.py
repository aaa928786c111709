"""Segments' and birthdays' public API: what campaign rules, views, tasks and the export call.

Readers (``segment_ids_of``, ``in_segment``, ``members_of``, ``birthday_of``)
take a user or a user id and cost one query. Writers keep the rules a shop
relies on: a customer sets their birthday once, staff change it with their
name on record; staff edit the members of a list, never of a computed
segment (the passes in ``segments.passes`` own those).
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty.ledger.people import actor_of, user_id_of

Segment = get_model("oscar_loyalty", "Segment")
SegmentMembership = get_model("oscar_loyalty", "SegmentMembership")
CustomerBirthday = get_model("oscar_loyalty", "CustomerBirthday")

#: The oldest customer a date of birth may describe, in years.
OLDEST_AGE = 120


class SegmentError(ValueError):
    """A segment or birthday change that is refused; the message is for the person who asked."""


class BirthdayAlreadySet(SegmentError):
    """The customer has set their birthday already: only staff may change it."""


# --- Reading -------------------------------------------------------------------------------------


def segment_ids_of(user):
    """The ids of every segment the customer is in, whatever the segment's kind."""
    return frozenset(SegmentMembership.objects.filter(user_id=user_id_of(user)).values_list("segment_id", flat=True))


def segments_of(user):
    """The segments the customer is in."""
    return Segment.objects.filter(memberships__user_id=user_id_of(user))


def in_segment(user, segment):
    """Whether the customer is in ``segment`` (a segment or its id)."""
    segment_id = getattr(segment, "pk", segment)
    return SegmentMembership.objects.filter(user_id=user_id_of(user), segment_id=segment_id).exists()


def members_of(segment):
    """The segment's customers, as a queryset of users."""
    from django.contrib.auth import get_user_model

    segment_id = getattr(segment, "pk", segment)
    return get_user_model().objects.filter(
        pk__in=SegmentMembership.objects.filter(segment_id=segment_id).values("user_id")
    )


def birthday_of(user):
    """The customer's date of birth, or None."""
    return CustomerBirthday.objects.filter(user_id=user_id_of(user)).values_list("birthday", flat=True).first()


# --- Birthdays: pure ------------------------------------------------------------------------------


def occurrence(birthday: date, year: int) -> date:
    """The birthday in ``year``; 29 February is kept on 28 February in other years."""
    try:
        return birthday.replace(year=year)
    except ValueError:
        return birthday.replace(year=year, day=28)


def next_birthday(birthday: date, today: date) -> date:
    """The customer's next birthday on or after ``today``."""
    this_year = occurrence(birthday, today.year)
    return this_year if this_year >= today else occurrence(birthday, today.year + 1)


def in_birthday_window(birthday: date | None, today: date, *, days_before: int, days_after: int) -> bool:
    """Whether ``today`` is within ``days_before`` days before to ``days_after`` days after a birthday."""
    if birthday is None:
        return False
    for year in (today.year - 1, today.year, today.year + 1):
        day = occurrence(birthday, year)
        if day - timedelta(days=days_before) <= today <= day + timedelta(days=days_after):
            return True
    return False


def check_birthday(birthday, today):
    """Refuse a date of birth in the future or more than ``OLDEST_AGE`` years ago."""
    if not isinstance(birthday, date):
        raise SegmentError(_("Enter a date of birth."))
    if birthday > today:
        raise SegmentError(_("A date of birth cannot be in the future."))
    if birthday.year < today.year - OLDEST_AGE:
        raise SegmentError(_("Enter a real date of birth."))
    return birthday


# --- Birthdays: writing ---------------------------------------------------------------------------


def set_birthday_by_customer(user, birthday, *, now=None):
    """The customer states their date of birth: once. A second attempt raises ``BirthdayAlreadySet``."""
    now = now or timezone.now()
    check_birthday(birthday, timezone.localdate(now))
    try:
        with transaction.atomic():
            return CustomerBirthday.objects.create(
                user_id=user_id_of(user), birthday=birthday, set_by=CustomerBirthday.CUSTOMER
            )
    except IntegrityError:
        raise BirthdayAlreadySet(
            _("Your date of birth is already set. To correct it, please contact the shop.")
        ) from None


def set_birthday_by_staff(user, birthday, *, actor, now=None):
    """Staff set or correct a date of birth; their name is kept. A bonus already given this year stays the only one."""
    now = now or timezone.now()
    _actor_user, actor_name = actor_of(actor)
    if not actor_name:
        raise SegmentError(_("A change of a date of birth needs the name of who made it."))
    if birthday is None:
        CustomerBirthday.objects.filter(user_id=user_id_of(user)).delete()
        return None
    check_birthday(birthday, timezone.localdate(now))
    record, _created = CustomerBirthday.objects.update_or_create(
        user_id=user_id_of(user),
        defaults={"birthday": birthday, "set_by": CustomerBirthday.STAFF, "changed_by_name": actor_name},
    )
    return record


# --- Lists kept by hand ---------------------------------------------------------------------------


def _editable(segment):
    if segment.kind != Segment.MANUAL:
        raise SegmentError(_("The members of a computed segment cannot be edited by hand."))


def add_members(segment, users, *, now=None):
    """Add customers (users or ids) to a list; those already in it stay as they are. Returns how many were added."""
    _editable(segment)
    now = now or timezone.now()
    ids = {user_id_of(user) for user in users}
    with transaction.atomic():
        present = set(
            SegmentMembership.objects.filter(segment=segment, user_id__in=ids).values_list("user_id", flat=True)
        )
        rows = [SegmentMembership(segment=segment, user_id=pk, since=now) for pk in sorted(ids - present)]
        SegmentMembership.objects.bulk_create(rows, ignore_conflicts=True)
        refresh_size(segment, now=now)
    return len(rows)


def remove_members(segment, users, *, now=None):
    """Take customers (users or ids) out of a list. Returns how many were removed."""
    _editable(segment)
    ids = {user_id_of(user) for user in users}
    with transaction.atomic():
        removed, _detail = SegmentMembership.objects.filter(segment=segment, user_id__in=ids).delete()
        refresh_size(segment, now=now)
    return removed


def refresh_size(segment, *, now=None):
    """Store the segment's member count (one UPDATE)."""
    size = SegmentMembership.objects.filter(segment=segment).count()
    Segment.objects.filter(pk=segment.pk).update(size=size, refreshed_at=now or timezone.now())
    segment.size = size
    return size
