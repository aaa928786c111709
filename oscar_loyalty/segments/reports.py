"""What the dashboard shows about segments: sizes month by month, movement between RFM segments, the export."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Subquery
from django.utils.translation import gettext_lazy as _
from oscar.core.loading import get_model

from oscar_loyalty.segments import rfm
from oscar_loyalty.segments.passes import month_of

Segment = get_model("oscar_loyalty", "Segment")
SegmentMembership = get_model("oscar_loyalty", "SegmentMembership")
SegmentSnapshot = get_model("oscar_loyalty", "SegmentSnapshot")
RFMScore = get_model("oscar_loyalty", "RFMScore")
NotificationPreference = get_model("oscar_loyalty", "NotificationPreference")


def months_back(today: date, count: int) -> list[date]:
    """The first days of the last ``count`` months, oldest first, this month last."""
    month = month_of(today)
    months = []
    for _i in range(count):
        months.append(month)
        month = month_of(date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1))
    return months[::-1]


def display_name(segment):
    """An RFM segment's name in the reader's language; other segments as staff named them."""
    return rfm.label(segment.code) if segment.kind == Segment.RFM else segment.name


@dataclass
class SegmentRow:
    segment: Segment
    name: str
    sizes: list = field(default_factory=list)  # one per month, None where no snapshot was taken

    @property
    def change(self):
        """The size now less a month ago (None when either is unknown)."""
        if len(self.sizes) < 2 or self.sizes[-1] is None or self.sizes[-2] is None:
            return None
        return self.sizes[-1] - self.sizes[-2]


def sizes_by_month(today: date, months: int = 6):
    """(months, rows): every segment with its size at the end of each of the last ``months`` months. Two queries."""
    columns = months_back(today, months)
    snapshots = {
        (segment_id, month): size
        for segment_id, month, size in SegmentSnapshot.objects.filter(month__gte=columns[0]).values_list(
            "segment_id", "month", "size"
        )
    }
    rows = []
    order = {code: i for i, code in enumerate(rfm.SEGMENTS)}
    segments = sorted(Segment.objects.all(), key=lambda s: (s.kind != Segment.RFM, order.get(s.code, 99), s.name))
    for segment in segments:
        rows.append(
            SegmentRow(
                segment=segment,
                name=display_name(segment),
                sizes=[snapshots.get((segment.pk, month)) for month in columns],
            )
        )
    return columns, rows


def rfm_movement(month: date):
    """{(segment code a month before, segment code in ``month``): customers}; "" for customers new to RFM. One query."""
    previous = month_of(date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1))
    before = RFMScore.objects.filter(user=OuterRef("user"), month=previous).values("segment_code")[:1]
    rows = (
        RFMScore.objects.filter(month=month)
        .annotate(before=Subquery(before))
        .values("before", "segment_code")
        .annotate(customers=Count("id"))
        .order_by()
    )
    return {(row["before"] or "", row["segment_code"]): row["customers"] for row in rows}


def movement_table(month: date):
    """(labels, rows) for the dashboard: one row per segment before, one column per segment now."""
    counts = rfm_movement(month)
    codes = list(rfm.SEGMENTS)
    labels = [rfm.label(code) for code in codes]
    rows = []
    for before in ["", *codes]:
        cells = [counts.get((before, now), 0) for now in codes]
        if any(cells):
            rows.append((rfm.label(before) if before else _("No purchases before"), cells))
    return labels, rows


#: The export's columns: what a mailing tool needs, and the consent it must respect.
EXPORT_COLUMNS = (
    _("E-mail"),
    _("First name"),
    _("Last name"),
    _("Phone (international, digits only)"),
    _("E-mails allowed"),
    _("Text messages allowed"),
    _("Language"),
    _("Active account"),
)


def phone_digits(phone):
    """+7 916 123-45-67 as 79161234567: a leading ``+`` would be guarded as a formula and break the number."""
    return "".join(ch for ch in str(phone or "") if ch.isdigit())


def export_rows(segment):
    """One row per member: contact details and consent flags, as the customer set them on their bonus page.

    A customer who never saved their notification preferences has the
    defaults (both channels allowed). Booleans are written 1/0, for any
    mailing tool to read. Streams in chunks: no member list held in memory.
    """
    default_email = NotificationPreference._meta.get_field("email_enabled").default
    default_sms = NotificationPreference._meta.get_field("sms_enabled").default
    members = SegmentMembership.objects.filter(segment=segment).values("user_id")
    users = (
        get_user_model()
        .objects.filter(pk__in=members)
        .order_by("pk")
        .values_list(
            "email",
            "first_name",
            "last_name",
            "loyalty_notification_preference__phone",
            "loyalty_notification_preference__email_enabled",
            "loyalty_notification_preference__sms_enabled",
            "loyalty_notification_preference__language",
            "is_active",
        )
    )
    for email, first, last, phone, email_ok, sms_ok, language, active in users.iterator(chunk_size=2000):
        yield [
            email,
            first,
            last,
            phone_digits(phone),
            int(default_email if email_ok is None else email_ok),
            int(default_sms if sms_ok is None else sms_ok),
            language or "",
            int(active),
        ]
