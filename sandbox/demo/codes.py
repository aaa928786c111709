"""The demo's manufacturer program: a tyre maker's vouchers, a dealer with a login, and a buyer who registered codes.

The buyer (``BUYER_EMAIL``) registered three codes of the dealer's batch and
got the volume bonus; the rewards part of the demo gives them a prize order.
Two unregistered codes are printed, to try on "My bonuses".
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_loyalty.codes import batches, services
from sandbox.demo import data

ManufacturerProgram = get_model("oscar_loyalty", "ManufacturerProgram")
Dealer = get_model("oscar_loyalty", "Dealer")

PROGRAM_NAME = "Nordic tyres: bonuses for winter tyres"
# One of the demo customers (data.CUSTOMERS): the rewards part gives them a prize order.
BUYER_EMAIL = "gleb@example.com"
DEALER_EMAIL = "dealer@example.com"
PASSWORD = data.CUSTOMER_PASSWORD


def _user(email, first_name, last_name):
    user, created = get_user_model().objects.get_or_create(
        username=email.split("@")[0], defaults={"email": email, "first_name": first_name, "last_name": last_name}
    )
    if created:
        user.set_password(PASSWORD)
        user.save()
    return user


def load(command, customers, now):
    """Create the program, its dealer and batches, and the registrations (once: a second run changes nothing)."""
    if ManufacturerProgram.objects.filter(name=PROGRAM_NAME).exists():
        return
    program = ManufacturerProgram.objects.create(
        name=PROGRAM_NAME,
        manufacturer="Nordic Tyre Works",
        description="300 bonuses for every winter tyre, and 500 more for every set of three codes.",
        bonus_every=3,
        bonus_points=500,
    )
    dealer = Dealer.objects.create(name="Shina-Centr", city="Moscow", email="shop@shina.example", phone="+74950000000")
    dealer.users.set([_user(DEALER_EMAIL, "Denis", "Dealerov")])
    buyer = customers.get(BUYER_EMAIL) or _user(BUYER_EMAIL, "Gleb", "Demo")

    winter = batches.create_batch(
        program,
        name="Winter 2026, Moscow",
        label="Hakka R5",
        points=300,
        size=20,
        valid_from=now - timedelta(days=60),
        valid_until=now + timedelta(days=300),
        dealer=dealer,
        actor="Demo",
        now=now - timedelta(days=45),
    )
    codes = batches.export_codes(winter, actor="Demo", now=now - timedelta(days=45))
    for day, code in zip((30, 12, 3), codes[:3], strict=True):
        services.register_for(buyer, code, now=now - timedelta(days=day))
    others = [user for user in customers.values() if user.email != BUYER_EMAIL][:2]
    for user, code in zip(others, codes[3:5], strict=False):
        services.register_for(user, code, now=now - timedelta(days=7))
    batches.create_batch(
        program,
        name="Summer 2027",
        label="Hakka Green",
        points=200,
        size=50,
        valid_from=now + timedelta(days=120),
        valid_until=now + timedelta(days=300),
        dealer=dealer,
        actor="Demo",
        now=now,
    )
    services.request_batch(dealer, program, size=200, comment="For the spring season", user=dealer.users.first())
    command.stdout.write(
        _(
            "Manufacturer program: dealer %(dealer)s (login %(login)s / %(password)s) with 2 batches; "
            "%(buyer)s / %(password)s registered 3 codes. Codes to try on My bonuses: %(codes)s"
        )
        % {
            "dealer": dealer.name,
            "login": DEALER_EMAIL,
            "buyer": BUYER_EMAIL,
            "password": PASSWORD,
            "codes": ", ".join(codes[5:7]),
        }
    )
