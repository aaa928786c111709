"""The demo's rewards catalogue: one reward of each kind, with a picture, and a buyer who ordered a prize.

The pictures are drawn here with Pillow (Oscar needs it anyway), so the demo
ships no binary files. The buyer is the point codes' demo buyer when that part
of the demo is there, otherwise the demo customer with the most points; their
prize is packed, so the dashboard shows an order on its way.
"""

import io
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from oscar.core.loading import get_model
from PIL import Image, ImageDraw

from oscar_loyalty import ledger
from oscar_loyalty.rewards import services

Reward = get_model("oscar_loyalty", "Reward")
Order = get_model("order", "Order")


@dataclass(frozen=True)
class RewardSpec:
    name: str
    kind: str
    points: int
    stock: int
    description: str
    colour: str
    fields: tuple = ()


REWARDS = (
    RewardSpec(
        "Thermos mug",
        Reward.PHYSICAL,
        900,
        12,
        "Steel thermos mug, 450 ml: keeps tea hot for six hours. Delivered to your door.",
        "#c0392b",
    ),
    RewardSpec(
        "500 roubles off your next order",
        Reward.VOUCHER,
        500,
        100,
        "A single-use voucher for 500 roubles off a basket, valid for 90 days, for you only.",
        "#27ae60",
        (("discount_type", Reward.FIXED), ("discount_value", Decimal("500.00")), ("voucher_valid_days", 90)),
    ),
    RewardSpec(
        "One more year of warranty",
        Reward.WARRANTY,
        1500,
        50,
        "Extends the warranty of one of your orders by 12 months.",
        "#2c3e50",
        (("warranty_months", 12), ("warranty_terms", "Repair or replacement of a faulty item, by the manufacturer.")),
    ),
)
DELIVERY = services.Delivery(name="Anna Smirnova", phone="+79161234567", address="Moscow, Tverskaya 7, flat 12")


def picture(spec):
    """A 320×240 PNG: the reward's colour, with its kind drawn as a simple shape."""
    image = Image.new("RGB", (320, 240), spec.colour)
    draw = ImageDraw.Draw(image)
    if spec.kind == Reward.PHYSICAL:
        draw.rounded_rectangle((110, 60, 210, 190), radius=12, fill="white")
        draw.arc((190, 90, 250, 160), start=270, end=90, fill="white", width=10)
    elif spec.kind == Reward.VOUCHER:
        draw.rectangle((50, 70, 270, 170), fill="white")
        draw.ellipse((120, 90, 200, 150), outline=spec.colour, width=8)
    else:
        draw.polygon([(160, 40), (250, 80), (230, 170), (160, 210), (90, 170), (70, 80)], fill="white")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name=f"demo-{spec.kind}.png")


def load(command, customers, now):
    """Create the catalogue and the buyer's prize order; returns the reward orders placed."""
    rewards = []
    for position, spec in enumerate(REWARDS):
        reward = Reward.objects.filter(name=spec.name).first()
        if reward is None:
            reward = Reward(name=spec.name, kind=spec.kind, position=position, **dict(spec.fields))
            reward.image = picture(spec)
        reward.points, reward.stock, reward.description = spec.points, spec.stock, spec.description
        reward.save()
        rewards.append(reward)
    buyer = _buyer(customers, now)
    if buyer is None:
        return []
    prize = services.redeem(buyer, rewards[0], key="demo-reward-prize", delivery=DELIVERY, now=now)
    services.advance(prize, prize.PACKED, actor=_("Demo warehouse"), now=now)
    command.stdout.write(
        _("Rewards catalogue: %(count)d rewards; %(buyer)s ordered %(reward)s (%(number)s), packed.")
        % {"count": len(rewards), "buyer": buyer.email, "reward": prize.reward_name, "number": prize.number}
    )
    return [prize]


def _buyer(customers, now):
    """The point codes' demo buyer if that part of the demo ran first and they can pay, else the richest customer."""
    try:
        from sandbox.demo.codes import BUYER_EMAIL
    except ImportError:
        BUYER_EMAIL = None
    codes_buyer = get_user_model().objects.filter(email=BUYER_EMAIL).first() if BUYER_EMAIL else None
    richest = sorted(customers.values(), key=lambda user: -_available(user, now))
    users = [codes_buyer, *richest] if codes_buyer is not None else richest
    return next((user for user in users if _available(user, now) >= REWARDS[0].points), None)


def _available(user, now):
    return ledger.get_balance(user, now=now).available
