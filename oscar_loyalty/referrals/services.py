"""Refer a friend: codes, joining through a friend, and the rewards on both sides.

- ``code_for(user)``: the customer's code (created on first use);
- ``join(friend, code, ...)``: the friend signs up through a link or a code;
  refused (``ReferralRefused``, with the reason for the customer) when it is
  the referrer themselves (same user, same e-mail once normalised, the
  device the referrer uses), when it would close a loop (A brought B, B
  cannot bring A; nor any longer cycle), when the friend joined through
  someone already, or, for a code entered after signing up, when it is too
  late. Joins are serialised by one lock, so two at once cannot close a loop
  between them. The friend's reward is given at once.
- ``reward_referrer(friend, order_number, ...)``: the friend's first paid
  order rewards the referrer, exactly once (the referral's row lock and the
  award's key), unless the order ships to one of the referrer's addresses.
- ``reward_friend_purchase(friend, order_number, ...)``: every paid order of
  the friend may reward the referrer too ("friend_purchase" rules: a share
  of the friend's purchases, usually for a period after the friend joined),
  once per order, on the same terms.

The referrer's lots carry the friend's order number, so a return or a
cancellation of that order takes them back in the same proportion as the
friend's own points; an order returned before it rewarded is honoured at once.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty import ledger
from oscar_loyalty.ledger.people import user_id_of
from oscar_loyalty.referrals import awards
from oscar_loyalty.settings import loyalty_settings

Referral = get_model("oscar_loyalty", "Referral")
ReferralCode = get_model("oscar_loyalty", "ReferralCode")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")

#: Letters and digits nobody confuses when reading a code aloud (no 0/O, 1/I/L).
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
#: A fixed key for PostgreSQL's advisory lock that serialises joins.
JOIN_LOCK = 7_311_013
#: Chains longer than this are not followed (nobody brings friends 200 levels deep).
MAX_CHAIN = 200

#: Mail services whose addresses ignore dots in the local part, and domains that are aliases of one another.
DOTLESS_DOMAINS = {"gmail.com"}
DOMAIN_ALIASES = {
    "googlemail.com": "gmail.com",
    "ya.ru": "yandex.ru",
    "yandex.com": "yandex.ru",
    "yandex.by": "yandex.ru",
    "yandex.kz": "yandex.ru",
    "yandex.ua": "yandex.ru",
}


class ReferralRefused(ValueError):
    """A referral that is not accepted; the message says why, for the customer."""


# --- Pure ------------------------------------------------------------------------------------------


def normalise_email(email):
    """One spelling per mailbox: lower case, no ``+tag``, aliases folded, no dots where the service ignores them."""
    email = (email or "").strip().lower()
    local, _at, domain = email.rpartition("@")
    if not local:
        return email
    domain = DOMAIN_ALIASES.get(domain, domain)
    local = local.split("+", 1)[0]
    if domain == "yandex.ru":
        local = local.replace("-", ".")
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


def normalise_address(*parts):
    """An address as letters and digits only, so punctuation and case do not hide that two are the same."""
    return re.sub(r"[\W_]+", "", " ".join(str(part or "") for part in parts).lower())


def clean_code(code):
    return re.sub(r"[\s-]+", "", str(code or "")).upper()


# --- Codes -----------------------------------------------------------------------------------------


def code_for(user):
    """The customer's referral code, created on first use."""
    user_id = user_id_of(user)
    existing = ReferralCode.objects.filter(user_id=user_id).first()
    if existing is not None:
        return existing
    for _attempt in range(10):
        code = "".join(secrets.choice(ALPHABET) for _i in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(user_id=user_id, code=code)
        except IntegrityError:
            existing = ReferralCode.objects.filter(user_id=user_id).first()
            if existing is not None:
                return existing
    raise RuntimeError("Could not find a free referral code.")


def remember_device(user, device):
    """Keep the device the customer last used their bonus pages from (a friend signing up from it is refused)."""
    if device:
        ReferralCode.objects.filter(user_id=user_id_of(user)).exclude(device=device).update(device=device[:64])


# --- Joining ---------------------------------------------------------------------------------------


def _lock_joins():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [JOIN_LOCK])


def brought_by_chain(user_id):
    """The ids of who brought ``user_id``, who brought them, and so on (nearest first)."""
    chain, current = [], user_id
    for _step in range(MAX_CHAIN):
        current = Referral.objects.filter(friend_id=current).values_list("referrer_id", flat=True).first()
        if current is None or current in chain:
            break
        chain.append(current)
    return chain


def check_join(friend, referral_code, *, device="", entered_after_signup=False, now):
    """Why ``friend`` may not join through ``referral_code`` (raises ``ReferralRefused``); read under the join lock."""
    if referral_code is None:
        raise ReferralRefused(_("There is no such referral code."))
    referrer = referral_code.user
    if referrer.pk == friend.pk:
        raise ReferralRefused(_("This is your own referral code: invite your friends with it."))
    if referrer.email and normalise_email(referrer.email) == normalise_email(friend.email):
        raise ReferralRefused(_("This referral code belongs to an account with your e-mail address."))
    if device and referral_code.device and device == referral_code.device:
        raise ReferralRefused(_("This referral code was opened on the same device its owner uses."))
    if Referral.objects.filter(friend=friend).exists():
        raise ReferralRefused(_("You have already joined through a friend's invitation."))
    if friend.pk in brought_by_chain(referrer.pk):
        raise ReferralRefused(_("You cannot join through a customer you invited yourself, directly or through others."))
    if entered_after_signup:
        days = loyalty_settings.REFERRAL_CLAIM_DAYS
        if friend.date_joined < now - timedelta(days=days):
            raise ReferralRefused(
                _("A friend's code can only be entered within %(days)d days of signing up.") % {"days": days}
            )
        if QualifyingPurchase.objects.filter(user=friend).exists():
            raise ReferralRefused(_("A friend's code can only be entered before your first order."))
    return referrer


def join(friend, code, *, channel, device="", ip_address=None, entered_after_signup=False, now=None):
    """Record that ``friend`` joined through ``code`` and give the friend's reward; returns the referral.

    Raises ``ReferralRefused`` with the reason, and then nothing is written.
    """
    now = now or timezone.now()
    with transaction.atomic():
        _lock_joins()
        referral_code = ReferralCode.objects.select_related("user").filter(code=clean_code(code)).first()
        referrer = check_join(friend, referral_code, device=device, entered_after_signup=entered_after_signup, now=now)
        referral = Referral.objects.create(
            referrer=referrer,
            friend=friend,
            code=referral_code.code,
            channel=channel,
            device=(device or "")[:64],
            ip_address=ip_address or None,
            created_at=now,
        )
    awards.award(
        friend, awards.REFERRED, key=f"referral:friend:{friend.pk}", now=now, context={"referrer_id": referrer.pk}
    )
    return referral


# --- The referrer's reward -------------------------------------------------------------------------


def purchase_shares(now=None):
    """``(percent, days or None)`` of the active rules paying referrers a share of friends' purchases, to tell them."""
    from oscar_loyalty.campaigns import snapshot

    now = now or timezone.now()
    return [
        (rule.value.normalize(), rule.event_days)
        for rule in snapshot.cached_rules()
        if rule.basis == "event"
        and rule.event == awards.FRIEND_PURCHASE
        and rule.reward == "percent"
        and (rule.ends_at is None or now < rule.ends_at)
    ]


def shipping_address_of(order_number):
    Order = get_model("order", "Order")
    order = Order.objects.select_related("shipping_address").filter(number=order_number).first()
    address = getattr(order, "shipping_address", None)
    if address is None:
        return ""
    return normalise_address(address.line1, address.line2, address.line4, address.postcode)


def addresses_of(user_id):
    """The referrer's known addresses: their address book and where their orders went."""
    UserAddress = get_model("address", "UserAddress")
    Order = get_model("order", "Order")
    fields = ("line1", "line2", "line4", "postcode")
    rows = list(UserAddress.objects.filter(user_id=user_id).values_list(*fields))
    rows += list(
        Order.objects.filter(user_id=user_id, shipping_address__isnull=False).values_list(
            *(f"shipping_address__{field}" for field in fields)
        )
    )
    return {normalise_address(*row) for row in rows}


def _shipped_to_referrer(referral, order_number):
    shipped_to = shipping_address_of(order_number)
    return bool(shipped_to) and shipped_to in addresses_of(referral.referrer_id)


def _honour_returns(order_number, key, now):
    """Take back the share of the friend's order returned before the referrer's award was made.

    The share is a target, so asking again for the same share moves nothing.
    """
    returned = ledger.returned_share(str(order_number))
    if returned > 0:
        ledger.reverse_order(
            str(order_number),
            share=returned,
            key=f"{key}:returned:{returned.normalize()}",
            reason=_("Order %(number)s: returned before it earned") % {"number": order_number},
            now=now,
        )


def reward_referrer(friend, order_number, *, amount=None, channel=None, now=None):
    """The friend's first paid order: reward who brought them, once. Returns the referral, or None if there is none.

    ``channel`` is the sales channel the order was made in (None: the default).
    """
    now = now or timezone.now()
    friend_id = user_id_of(friend)
    with transaction.atomic():
        referral = Referral.objects.select_for_update().filter(friend_id=friend_id).first()
        if referral is None or referral.status != Referral.JOINED:
            return referral
        referral.first_order_number = str(order_number)
        if _shipped_to_referrer(referral, order_number):
            referral.status = Referral.REFUSED
            referral.refused_reason = _("The friend's first order went to the referrer's address.")
            referral.save(update_fields=["first_order_number", "status", "refused_reason"])
            return referral
        key = f"referral:referrer:{friend_id}"
        awards.award(
            referral.referrer,
            awards.REFERRAL,
            key=key,
            now=now,
            context={
                "friend_id": friend_id,
                "order_number": str(order_number),
                "order_amount": str(amount or ""),
                "channel": channel,
            },
        )
        _honour_returns(order_number, key, now)
        referral.status = Referral.REWARDED
        referral.rewarded_at = now
        referral.save(update_fields=["first_order_number", "status", "rewarded_at"])
    return referral


def reward_friend_purchase(friend, order_number, *, amount, placed_at=None, channel=None, now=None):
    """A paid order of a referred friend: the referrer's "friend_purchase" rules, once per order; returns the points.

    Nothing for a friend nobody referred, for a referral refused, for an
    order placed before the friend joined, or for an order shipped to one of
    the referrer's addresses. ``amount`` is what the friend paid in money; a
    rule's period counts whole days from the day the friend joined to the
    day the order was placed (``placed_at``, default now), so an order the
    accounting system reports paid weeks later still counts in its period.
    ``channel`` is the sales channel the order was made in (None: the
    default): a rule for some channels pays for the friend's orders there.
    """
    now = now or timezone.now()
    placed_at = placed_at or now
    friend_id = user_id_of(friend)
    with transaction.atomic():
        referral = Referral.objects.select_for_update().filter(friend_id=friend_id).first()
        if referral is None or referral.status == Referral.REFUSED or placed_at < referral.created_at:
            return 0
        if _shipped_to_referrer(referral, order_number):
            return 0
        age = (timezone.localtime(placed_at).date() - timezone.localtime(referral.created_at).date()).days
        key = f"referral:purchase:{friend_id}:{order_number}"
        points = awards.award(
            referral.referrer,
            awards.FRIEND_PURCHASE,
            key=key,
            now=now,
            context={
                "friend_id": friend_id,
                "order_number": str(order_number),
                "order_amount": str(amount or ""),
                "event_age_days": age,
                "channel": channel,
            },
        )
        if points:
            _honour_returns(order_number, key, now)
    return points
