"""Orders out: the orders changed in an export window, as CommerceML documents, in batches.

Each batch costs a fixed number of queries whatever its size (orders with
their customer and addresses, lines with products, ERP ids, payments, points
spent, lots, accounts and tiers, last status change), and only one batch is
held in memory at a time.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.sites.models import Site
from django.db.models import Exists, Max, OuterRef, Q, Sum
from django.utils import timezone
from oscar.core.loading import get_model

from erp_sync.exchange import commerceml
from erp_sync.exchange.settings import exchange_settings
from oscar_loyalty.earning import tiers as earning_tiers
from oscar_loyalty.reporting import rollups
from oscar_loyalty.settings import loyalty_settings

Order = get_model("order", "Order")
Line = get_model("order", "Line")
OrderStatusChange = get_model("order", "OrderStatusChange")
Source = get_model("payment", "Source")
ProductAttributeValue = get_model("catalogue", "ProductAttributeValue")
ErpProduct = get_model("erp_sync", "ErpProduct")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
Lot = get_model("oscar_loyalty", "Lot")
Account = get_model("oscar_loyalty", "Account")
CustomerTier = get_model("oscar_loyalty", "CustomerTier")

#: What the "accrual state" requisite says, by the state of the order's lots.
ACCRUAL_STATES = {
    "none": "Нет",
    "pending": "Ожидает",
    "available": "Начислены",
    "reversed": "Отменены",
    "expired": "Сгорели",
}


@dataclass(frozen=True)
class Positions:
    """How far an export reaches in each table's insertion order: the last journal entry, order and status change.

    None where it is not known (a marker from before these were counted):
    that table is then windowed by date.
    """

    entry: int | None = None
    order: int | None = None
    status_change: int | None = None


@dataclass(frozen=True)
class ExportWindow:
    """What one ``query`` sends: the orders placed, moved to another status or whose points moved in it.

    By id where ``upto`` knows the table's position: rows inserted after
    ``after`` up to ``upto``, in the order they were written, not by their
    date. An activation or an expiry is dated when a hold or a lot ended,
    and an order or a status change is dated before its transaction
    writes and commits it, often before the end of the window it belongs
    to; by date it would fall behind that window for good. After a marker
    that does not know a table's position yet, that table starts at
    ``since``; without ``upto`` everything is windowed by date, ``since``
    (exclusive) to ``until``.
    """

    since: datetime | None
    until: datetime
    after: Positions = Positions()
    upto: Positions = Positions()


def _rows_in(window, name, date_field):
    after, upto = getattr(window.after, name), getattr(window.upto, name)
    if upto is None:
        rows = Q(**{f"{date_field}__lte": window.until})
    else:
        rows = Q(pk__lte=upto)
        if after is not None:
            return rows & Q(pk__gt=after)
    if window.since is not None:
        rows &= Q(**{f"{date_field}__gt": window.since})
    return rows


def changed_orders(window):
    """Orders placed, moved to another status or whose points moved in ``window`` (an :class:`ExportWindow`)."""
    status_changed = Exists(
        OrderStatusChange.objects.filter(_rows_in(window, "status_change", "date_created"), order=OuterRef("pk"))
    )
    points_moved = Exists(
        JournalEntry.objects.filter(_rows_in(window, "entry", "created_at"), order_number=OuterRef("number"))
    )
    return Order.objects.filter(_rows_in(window, "order", "date_placed") | status_changed | points_moved)


def settled_positions(wait_seconds=0):
    """How far an export may reach: up to where every entry, order and status change has committed or never will.

    None if that took longer than ``wait_seconds``. Called once the
    window's end in time is fixed. Ids are drawn in one order and committed
    in another: a beat pass's chunk may still be writing entries with lower
    ids when a checkout's entry with a higher id has committed. On
    PostgreSQL the last ids drawn are taken, and the transactions writing
    the journal, the orders or their status changes at that moment are
    waited for (as the roll-ups wait for the journal's); elsewhere one
    transaction writes at a time, and the newest rows are the end.
    """
    ids = rollups.safe_ids([JournalEntry, Order, OrderStatusChange], wait_seconds)
    return None if ids is None else Positions(*ids)


ADDRESS_FIELDS = ("first_name", "last_name", "line1", "line2", "line3", "line4", "state", "postcode", "country_id")
ORDER_FIELDS = (
    "pk",
    "number",
    "currency",
    "total_incl_tax",
    "shipping_incl_tax",
    "shipping_method",
    "status",
    "date_placed",
    "guest_email",
    "user_id",
    "user__username",
    "user__first_name",
    "user__last_name",
    "user__email",
    "billing_address_id",
    "erp_state__paid_at",
    *(f"billing_address__{name}" for name in ADDRESS_FIELDS),
    "shipping_address__phone_number",
    *(f"shipping_address__{name}" for name in ADDRESS_FIELDS),
)
LINE_FIELDS = (
    "order_id",
    "title",
    "quantity",
    "partner_sku",
    "upc",
    "line_price_incl_tax",
    "unit_price_incl_tax",
    "product_id",
    "product__upc",
)


def iter_order_batches(window, *, batch_size=None):
    """Yield lists of orders, as plain rows with their ``lines``, in primary-key order.

    Rows, not model instances: building 500 orders with their customer and
    addresses as models costs several times more than the rest of the export.
    """
    batch_size = batch_size or exchange_settings.EXCHANGE_BATCH_SIZE
    changed = changed_orders(window)
    ids = changed.order_by("pk").values_list("pk", flat=True)
    last = 0
    while True:
        batch_ids = list(ids.filter(pk__gt=last)[:batch_size])
        if not batch_ids:
            return
        last = batch_ids[-1]
        orders = list(Order.objects.filter(pk__in=batch_ids).order_by("pk").values(*ORDER_FIELDS))
        lines = defaultdict(list)
        for line in Line.objects.filter(order_id__in=batch_ids).order_by("pk").values(*LINE_FIELDS):
            lines[line["order_id"]].append(line)
        for order in orders:
            order["lines"] = lines.get(order["pk"], [])
        yield orders


def _batch_context(orders):
    """Everything per batch that is not on the orders themselves, in a fixed number of queries."""
    numbers = [order["number"] for order in orders]
    order_ids = [order["pk"] for order in orders]
    user_ids = {order["user_id"] for order in orders if order["user_id"]}
    product_ids = {line["product_id"] for order in orders for line in order["lines"] if line["product_id"]}

    erp_ids = {}
    code = exchange_settings.EXCHANGE_PRODUCT_ID_ATTRIBUTE
    if product_ids:
        # Products the catalogue exchange brought carry their Ид; the attribute covers those entered by hand.
        erp_ids.update(ErpProduct.objects.filter(product_id__in=product_ids).values_list("product_id", "erp_id"))
    if code and product_ids:
        for product_id, value in ProductAttributeValue.objects.filter(
            product_id__in=product_ids, attribute__code=code
        ).values_list("product_id", "value_text"):
            if value:
                erp_ids.setdefault(product_id, value)

    paid = defaultdict(lambda: Decimal("0.00"))
    money = {}
    for order_id, source_type, allocated, debited in (
        Source.objects.filter(order_id__in=order_ids)
        .order_by("pk")
        .values_list("order_id", "source_type__name", "amount_allocated", "amount_debited")
    ):
        if source_type == loyalty_settings.POINTS_SOURCE_TYPE:
            paid[order_id] += debited or Decimal("0.00")
            continue
        # A gateway may allocate now and debit later: the larger of the two is what this source pays.
        amount = max(allocated or Decimal("0.00"), debited or Decimal("0.00"))
        if order_id not in money or amount > money[order_id][1]:
            money[order_id] = (source_type, amount)

    spent = dict(
        JournalEntry.objects.filter(order_number__in=numbers, kind=JournalEntry.REDEMPTION)
        .values("order_number")
        .annotate(points=Sum("points"))
        .values_list("order_number", "points")
    )

    lots = defaultdict(list)
    for lot in (
        Lot.objects.filter(order_number__in=numbers)
        .exclude(origin=Lot.RESTORE)
        .only("order_number", "points", "reversed_points", "status")
    ):
        lots[lot.order_number].append(lot)

    cards = dict(Account.objects.filter(user_id__in=user_ids).values_list("user_id", "pk"))
    now = timezone.now()
    tiers = {
        state.user_id: state.effective_tier(now)
        for state in CustomerTier.objects.filter(user_id__in=user_ids).select_related("tier", "pinned_tier")
    }
    if user_ids - {user_id for user_id, tier in tiers.items() if tier is not None}:
        # Customers without a tier record yet are at the entry tier, as ``tier_for`` says.
        entry = earning_tiers.qualifying_tier(earning_tiers.all_tiers(), Decimal(0))
        tiers = {user_id: tiers.get(user_id) or entry for user_id in user_ids}
    status_dates = dict(
        OrderStatusChange.objects.filter(order_id__in=order_ids)
        .values("order_id")
        .annotate(at=Max("date_created"))
        .values_list("order_id", "at")
    )
    return {
        "erp_ids": erp_ids,
        "paid": paid,
        "money": money,
        "spent": spent,
        "lots": lots,
        "cards": cards,
        "tiers": tiers,
        "status_dates": status_dates,
    }


def accrual_state(lots):
    """(points accrued net of reversals, state code) for an order's lots."""
    if not lots:
        return 0, "none"
    points = sum(lot.points - lot.reversed_points for lot in lots)
    if points <= 0:
        return 0, "reversed"
    statuses = {lot.status for lot in lots if lot.points > lot.reversed_points}
    if Lot.PENDING in statuses:
        return points, "pending"
    if Lot.ACTIVE in statuses:
        return points, "available"
    return points, "expired"


def product_external_id(line, erp_ids):
    if line["product_id"]:
        return erp_ids.get(line["product_id"]) or line["product__upc"] or str(line["product_id"])
    return line["partner_sku"] or line["upc"] or line["title"]


def _address(order):
    prefix = "billing_address__" if order["billing_address_id"] else "shipping_address__"
    values = {name: order[prefix + name] for name in ADDRESS_FIELDS}
    if not any(values.values()):
        return None
    return values


def _local(value):
    return timezone.localtime(value) if value and timezone.is_aware(value) else value


def _date(value):
    value = _local(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S") if value else ""


def _bool(value):
    return "true" if value else "false"


def payment_method(money, money_amount, points_amount, *, points_method, bonus_method=None):
    """The ``Метод оплаты`` of an order: the name of the payment source type that paid it.

    ``money`` is the type of the order's largest payment in money (``money_amount``),
    ``points_method`` the type points are recorded as: both are names ``mode=info``
    lists, so the accounting system can map them. An order paid partly with points
    names the money payment (the points' share has requisites of its own); one
    paid with points alone names the points. ``bonus_method``, where the shop set
    one, names every order that points paid part of instead.
    """
    if bonus_method and points_amount:
        return bonus_method
    if money and (money_amount or not points_amount):
        return money
    return points_method if points_amount else ""


def order_document(order, context, *, site_name=""):
    """The CommerceML document for one order (a row of a batch)."""
    names = exchange_settings.EXCHANGE_BONUS_REQUISITES
    user_id = order["user_id"]
    if user_id:
        first, last = order["user__first_name"], order["user__last_name"]
        party = commerceml.Counterparty(
            id=f"user-{user_id}",
            name=f"{first} {last}".strip() or order["user__username"],
            first_name=first,
            last_name=last,
            email=order["user__email"],
        )
    else:
        email = order["guest_email"]
        party = commerceml.Counterparty(id=f"guest-{email}", name=email, email=email)
    address = _address(order)
    if address is not None:
        parts = ("line1", "line2", "line3", "line4", "state", "postcode", "country_id")
        party.address = ", ".join(str(address[name]) for name in parts if address[name])
        party.phone = str(order["shipping_address__phone_number"] or "")
        if not party.first_name and not party.last_name:
            party.first_name, party.last_name = address["first_name"], address["last_name"]
            party.name = party.name or f"{address['first_name']} {address['last_name']}".strip()

    lines = [
        commerceml.OrderLine(
            product_id=product_external_id(line, context["erp_ids"]),
            name=line["title"],
            price=line["unit_price_incl_tax"] or Decimal("0.00"),
            quantity=line["quantity"],
            amount=line["line_price_incl_tax"],
        )
        for line in order["lines"]
    ]
    shipping = order["shipping_incl_tax"] or Decimal("0.00")
    if shipping:
        lines.append(
            commerceml.OrderLine(
                product_id=commerceml.DELIVERY_ID,
                name=order["shipping_method"] or "Доставка",
                price=shipping,
                quantity=1,
                amount=shipping,
                kind="Услуга",
            )
        )

    number, status = order["number"], order["status"] or ""
    paid_amount = context["paid"][order["pk"]]
    money, money_amount = context["money"].get(order["pk"], ("", Decimal("0.00")))
    method = payment_method(
        money,
        money_amount,
        paid_amount,
        points_method=loyalty_settings.POINTS_SOURCE_TYPE,
        bonus_method=exchange_settings.EXCHANGE_BONUS_PAYMENT_METHOD,
    )
    paid_points = -(context["spent"].get(number) or 0)
    accrued, state = accrual_state(context["lots"].get(number, []))
    paid_at = order["erp_state__paid_at"]
    cancelled = status in loyalty_settings.CANCEL_STATUSES
    tier = context["tiers"].get(user_id) if user_id else None
    requisites = [
        ("Метод оплаты", method),
        ("Заказ оплачен", _bool(paid_at)),
        ("Дата оплаты", _date(paid_at)),
        ("Доставка разрешена", _bool(not cancelled)),
        ("Отменен", _bool(cancelled)),
        ("Финальный статус", _bool(not Order.pipeline.get(status, ()))),
        ("Статус заказа", status),
        ("Дата изменения статуса", _date(context["status_dates"].get(order["pk"]) or order["date_placed"])),
        ("Сайт", site_name),
        (names["paid_amount"], f"{paid_amount:.2f}"),
        (names["paid_points"], str(paid_points)),
        (names["accrued_points"], str(accrued)),
        (names["accrual_state"], ACCRUAL_STATES[state]),
        (names["card"], str(context["cards"].get(user_id, "")) if user_id else ""),
        (names["tier"], tier.name if tier is not None else ""),
    ]
    goods = sum((line.amount for line in lines if line.product_id != commerceml.DELIVERY_ID), Decimal("0.00"))
    total = order["total_incl_tax"]
    discount = max(Decimal("0.00"), goods + shipping - total)
    return commerceml.OrderDocument(
        id=number,
        number=number,
        placed_at=_local(order["date_placed"]),
        currency=order["currency"],
        total=total,
        counterparty=party,
        lines=lines,
        discount=discount,
        requisites=requisites,
    )


def site_name():
    return exchange_settings.EXCHANGE_SITE_NAME or Site.objects.get_current().name


def iter_documents(window, *, batch_size=None, counter=None):
    """Yield ``OrderDocument`` for every order changed in ``window``; ``counter`` (a list) gets the count."""
    name = site_name()
    for orders in iter_order_batches(window, batch_size=batch_size):
        context = _batch_context(orders)
        for order in orders:
            yield order_document(order, context, site_name=name)
        if counter is not None:
            counter.append(len(orders))


def export_bytes(window, *, batch_size=None, counter=None):
    """The whole export of ``window`` as an iterator of bytes (what ``mode=query`` streams)."""
    documents = iter_documents(window, batch_size=batch_size, counter=counter)
    return commerceml.write_orders(
        documents,
        encoding=exchange_settings.EXCHANGE_ENCODING,
        namespace=commerceml.NAMESPACE if exchange_settings.EXCHANGE_NAMESPACE else None,
        schema_version=exchange_settings.EXCHANGE_SCHEMA_VERSION,
        now=timezone.localtime(),
    )
