"""A year of program history for the loyalty dashboard: members joining month by month, ordering,
spending points at checkout, letting campaign points expire, and guests buying without an account.

``generate()`` is pure and seeded, so every run describes the same history; ``load()`` turns it into
orders and ledger operations through the demo command's own steps, keyed on order numbers and fixed
idempotency keys, so a second run adds nothing.
"""

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.settings import loyalty_settings
from sandbox.demo import data

Order = get_model("order", "Order")
Reservation = get_model("oscar_loyalty", "Reservation")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")

SEED = 20261123
MEMBERS = 30
GUEST_ORDERS = 24
HISTORY_DAYS = 360
# Campaign points that go unspent expire within the year: the dashboard shows expiries.
CAMPAIGN_POINTS = 300
CAMPAIGN_EXPIRY_DAYS = 45

FIRST_NAMES = ("Olga", "Ivan", "Daria", "Pavel", "Irina", "Sergei", "Elena", "Maxim", "Tatiana", "Nikita")
LAST_NAMES = ("Sokolova", "Popov", "Lebedeva", "Kozlov", "Novikova", "Volkov", "Orlova", "Zaitsev", "Pavlova", "Belov")
CITIES = (("Moscow", "101000"), ("Kazan", "420000"), ("Samara", "443000"), ("Tula", "300000"), ("Perm", "614000"))

# The loyalty dashboard's two roles (password STAFF_PASSWORD).
MANAGER_USERNAME, MANAGER_EMAIL = "manager", "manager@example.com"
MARKETER_USERNAME, MARKETER_EMAIL = "marketer", "marketer@example.com"
STAFF_PASSWORD = "demo12345"

# Products with deep stock, weighted by it, so a year of orders never runs a shelf empty.
STOCKED = tuple((spec.upc, spec.num_in_stock) for spec in data.PRODUCTS if spec.num_in_stock >= 30)


@dataclass(frozen=True)
class Member:
    email: str
    username: str
    first_name: str
    last_name: str
    phone_number: str
    line1: str
    city: str
    postcode: str
    # Days ago a campaign credited points that then went unspent, or None.
    campaign_days_ago: int | None


@dataclass(frozen=True)
class HistoryOrder:
    number: str
    email: str | None  # None: a guest
    days_ago: int
    lines: tuple
    status: str
    # The share of the order the member pays with points if they have them (0: none).
    points_share: Decimal = Decimal(0)
    # Fixed for ``place_order``: what points paid is recorded once the points are spent.
    redeemed: int = 0
    released: int = 0


def generate():
    """(members, orders): the same every run."""
    rng = random.Random(SEED)
    members, orders = [], []
    for n in range(1, MEMBERS + 1):
        first, last = FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[(n * 7) % len(LAST_NAMES)]
        city, postcode = CITIES[n % len(CITIES)]
        email = f"member{n:02d}@example.com"
        # Members join evenly over the year, so every month has new ones.
        joined = HISTORY_DAYS - (n - 1) * HISTORY_DAYS // MEMBERS
        members.append(
            Member(
                email=email,
                username=f"member{n:02d}",
                first_name=first,
                last_name=last,
                phone_number=f"+7916555{n:04d}",
                line1=f"{n} Sadovaya Street",
                city=city,
                postcode=postcode,
                campaign_days_ago=joined - 10 if n % 2 and joined > CAMPAIGN_EXPIRY_DAYS + 20 else None,
            )
        )
        days_ago, count = joined, 0
        while days_ago > 0:
            count += 1
            status = data.COMPLETE
            if days_ago <= data.DELIVERY_DAYS + 1:
                status = data.PENDING
            elif rng.random() < 0.08:
                status = data.CANCELLED
            share = Decimal("0.2") if count > 1 and status == data.COMPLETE and rng.random() < 0.45 else Decimal(0)
            orders.append(
                HistoryOrder(f"DEMO-9{n:02d}{count:02d}", email, days_ago, _lines(rng), status, points_share=share)
            )
            days_ago -= rng.randint(25, 75)
    for n in range(1, GUEST_ORDERS + 1):
        days_ago = HISTORY_DAYS - (n - 1) * HISTORY_DAYS // GUEST_ORDERS - rng.randint(0, 10)
        orders.append(HistoryOrder(f"DEMO-8{n:03d}", None, max(days_ago, 5), _lines(rng), data.COMPLETE))
    return members, orders


def _lines(rng):
    upcs = rng.sample([upc for upc, _stock in STOCKED], k=rng.randint(1, 3))
    return tuple((upc, 1) for upc in upcs)


def load(command, country, products, admin, now):
    """Place the history's orders and replay each member's points in date order. Returns the orders."""
    members, orders = generate()
    users = {member.email: command.create_customer(member, country) for member in members}
    specs = {member.email: member for member in members}
    guest = members[0]
    # Whether an order pays with points is decided when it is first placed, from the balance then;
    # a later run only replays what was decided.
    existing = set(Order.objects.filter(number__in=[spec.number for spec in orders]).values_list("number", flat=True))
    placed = {}
    for spec in orders:
        user = users.get(spec.email)
        placed[spec.number] = command.place_order(spec, user, specs.get(spec.email, guest), country, products, now)
    for member in members:
        user = users[member.email]
        operations = []
        for spec in orders:
            if spec.email != member.email:
                continue
            order = placed[spec.number]
            operations += command.order_operations(user, spec, order)
            if spec.points_share:
                spend = _spend_operation(user, order, spec, decide=spec.number not in existing)
                operations.append((order.date_placed - timedelta(minutes=3), spend))
        if member.campaign_days_ago is not None:
            operations.append((now - timedelta(days=member.campaign_days_ago), _campaign_operation(user, admin)))
        for when, operation in sorted(operations, key=lambda item: item[0]):
            operation(when)
    ledger.activate_matured_lots(now=now)
    ledger.expire_lots(now=now)
    return placed


def _spend_operation(user, order, spec, *, decide):
    """Pay part of the order with the points the member has when ordering (decided once, then kept)."""

    def spend(when):
        key = f"demo:{order.number}:checkout"
        reservation = Reservation.objects.filter(key=key).first()
        if reservation is None:
            if not decide:
                return
            available = ledger.get_balance(user, now=when).available
            points = min(available, int(order.total_incl_tax * spec.points_share / loyalty_settings.POINT_VALUE))
            points -= points % 100
            if points <= 0:
                return
            reservation = ledger.reserve(user, points, key=key, order_number=order.number, now=when)
            ledger.capture(reservation, now=when + timedelta(minutes=2))
        _record_points_payment(order, reservation.points)

    return spend


def _record_points_payment(order, points):
    """What points paid, as the checkout records it: a points source, and the card paying the rest."""
    paid_with_points = points * loyalty_settings.POINT_VALUE
    source_type, _created = SourceType.objects.get_or_create(name=loyalty_settings.POINTS_SOURCE_TYPE)
    _source, created = Source.objects.get_or_create(
        order=order,
        source_type=source_type,
        defaults={
            "currency": order.currency,
            "amount_allocated": paid_with_points,
            "amount_debited": paid_with_points,
            "reference": f"points-{order.number}",
        },
    )
    if created:
        card = order.sources.exclude(source_type=source_type).first()
        if card is not None:
            rest = order.total_incl_tax - paid_with_points
            Source.objects.filter(pk=card.pk).update(amount_allocated=rest, amount_debited=rest)


def _campaign_operation(user, admin):
    def credit(when):
        ledger.adjust(
            user,
            CAMPAIGN_POINTS,
            key=f"demo:{user.username}:campaign",
            reason=_("Spring ride campaign"),
            actor=admin,
            origin="campaign",
            expires_in_days=CAMPAIGN_EXPIRY_DAYS,
            now=when,
        )

    return credit


def create_loyalty_staff():
    """A loyalty manager (staff, every loyalty permission) and a marketer who only reads the KPIs."""
    from django.contrib.auth.models import Permission

    User = get_user_model()
    people = []
    for username, email, first, last, is_staff, codenames in (
        (MANAGER_USERNAME, MANAGER_EMAIL, "Marina", "Orlova", True, ("manage_loyalty",)),
        (MARKETER_USERNAME, MARKETER_EMAIL, "Mark", "Lebedev", False, ("view_loyalty_kpis",)),
    ):
        user, _created = User.objects.get_or_create(username=username)
        user.email, user.first_name, user.last_name = email, first, last
        user.is_staff, user.is_active = is_staff, True
        user.set_password(STAFF_PASSWORD)
        user.save()
        user.user_permissions.set(
            Permission.objects.filter(content_type__app_label="oscar_loyalty", codename__in=codenames)
        )
        people.append(user)
    return people
