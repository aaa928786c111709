"""Which channels the shop sends through, and which of them a customer can be reached on.

Shared by the queue and the delivery, and importing neither.
"""

from django.utils import translation
from django.utils.translation import get_supported_language_variant
from oscar.core.loading import get_model

from oscar_loyalty.settings import loyalty_settings

Notification = get_model("oscar_loyalty", "Notification")
NotificationPreference = get_model("oscar_loyalty", "NotificationPreference")


def shop_channels():
    """The channels the shop sends through, in the order configured."""
    known = {Notification.EMAIL, Notification.SMS}
    return tuple(channel for channel in loyalty_settings.NOTIFICATION_CHANNELS if channel in known)


def skip_reason(preference, channel):
    """Why ``channel`` cannot be used for a customer with ``preference`` (None: the defaults), or ''."""
    preference = preference or NotificationPreference()
    if channel == Notification.EMAIL and not preference.email_enabled:
        return "The customer turned e-mail off."
    if channel == Notification.SMS:
        if not preference.sms_enabled:
            return "The customer turned SMS off."
        if not preference.phone:
            return "The customer has given no phone number."
    return ""


def supported_language(code):
    """``code`` as one of the shop's ``LANGUAGES`` (``ru-RU`` -> ``ru``), or '' if the shop has no such language."""
    if not code:
        return ""
    try:
        return get_supported_language_variant(code)
    except LookupError:
        return ""


def message_language(preference):
    """The language to write to a customer in: the one they last used on the site, else the active one."""
    return supported_language(getattr(preference, "language", "")) or translation.get_language() or ""
