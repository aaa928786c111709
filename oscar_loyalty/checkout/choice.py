"""The points a customer chose on the payment step, kept in a signed cookie until the order is placed.

Not in the session: Oscar's checkout session lives in the session store, and
every change to it is a write there (three statements with the database
backend) on a page that otherwise writes nothing. The cookie is signed, and
bound to the customer and the basket it was chosen for, so a cookie from
another account, another basket or anyone's hand reads as no choice. Nothing
trusts the value anyway: the order's limits are checked against it again,
and the ledger checks the balance under the account's lock, when the order
is placed.
"""

from django.conf import settings
from django.core import signing

COOKIE_NAME = "oscar_loyalty_points"
SALT = "oscar_loyalty.checkout.points"
# A choice older than this reads as none: a checkout is not left for longer.
MAX_AGE = 7 * 24 * 3600


def _owner(request):
    user = getattr(request, "user", None)
    basket = getattr(request, "basket", None)
    if user is None or not user.is_authenticated or basket is None or basket.pk is None:
        return None
    return user.pk, basket.pk


def read(request):
    """The points chosen for the request's customer and basket; 0 if none, or if the cookie is not theirs."""
    owner = _owner(request)
    value = request.COOKIES.get(COOKIE_NAME)
    if owner is None or not value:
        return 0
    try:
        user_id, basket_id, points = signing.loads(value, salt=SALT, max_age=MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError):
        return 0
    if (user_id, basket_id) != owner or type(points) is not int or points < 0:
        return 0
    return points


def sign(request, points):
    """The cookie's value for ``points`` chosen by the request's customer for their basket (None if they can't)."""
    owner = _owner(request)
    if owner is None:
        return None
    return signing.dumps([*owner, int(points)], salt=SALT, compress=False)


def write(response, request, points):
    """Keep ``points`` on ``response`` as the choice of the request's customer; 0 forgets the choice."""
    value = sign(request, points) if points else None
    if value is None:
        if COOKIE_NAME in request.COOKIES:
            response.delete_cookie(COOKIE_NAME, samesite="Lax")
        return
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE or request.is_secure(),
    )
