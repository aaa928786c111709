"""Who is really behind a request: a staff member signed in as the customer.

``OSCAR_LOYALTY_ACTING_STAFF_RESOLVER`` names a function ``(request) -> user or None``
returning the staff member acting for ``request.user``. The default reads the
session of django-hijack (``hijack_history``, the impersonators' primary keys,
latest last); a shop with another impersonation tool points the setting at
its own function.
"""

from django.contrib.auth import get_user_model
from django.utils.module_loading import import_string

from oscar_loyalty.settings import loyalty_settings

HIJACK_SESSION_KEY = "hijack_history"


def hijacking_staff(request):
    """The staff member impersonating the signed-in customer through django-hijack, or None."""
    session = getattr(request, "session", None)
    history = session.get(HIJACK_SESSION_KEY) if session is not None else None
    if not history:
        return None
    try:
        staff = get_user_model()._default_manager.get(pk=history[-1])
    except (get_user_model().DoesNotExist, ValueError, TypeError):
        return None
    return staff if staff.is_active and staff.is_staff else None


def acting_staff(request):
    """The staff member acting for ``request.user``, per the configured resolver, or None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if hasattr(request, "_loyalty_acting_staff"):
        return request._loyalty_acting_staff
    staff = import_string(loyalty_settings.ACTING_STAFF_RESOLVER)(request)
    if staff is not None and staff.pk == user.pk:
        staff = None
    request._loyalty_acting_staff = staff
    return staff
