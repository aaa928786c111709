"""The dashboard menu entry of the SOAP exchange's staff pages.

Imported from settings, so it imports no models::

    from erp_sync.soap.nav import NAVIGATION_ENTRY
    OSCAR_DASHBOARD_NAVIGATION = [*OSCAR_DASHBOARD_NAVIGATION, NAVIGATION_ENTRY]
"""

from django.utils.translation import gettext_lazy as _


def staff_access(user, url_name, url_args=None, url_kwargs=None):
    """These pages are no Oscar dashboard app, so the menu asks this instead of an app's permissions."""
    return user.is_active and user.is_staff


NAVIGATION_ENTRY = {
    "label": _("Accounting system"),
    "icon": "fas fa-balance-scale",
    "children": [
        {
            "label": _("Movements for the accounting system"),
            "url_name": "erp-sync-dashboard:outbox",
            "access_fn": staff_access,
        },
        {
            "label": _("Reconciliation"),
            "url_name": "erp-sync-dashboard:reconciliation",
            "access_fn": staff_access,
        },
    ],
}
