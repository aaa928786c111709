"""The dashboard menu entry of the exchange log; imported from settings, so it imports no models::

from erp_sync.exchange.nav import NAVIGATION_ENTRY as ERP_EXCHANGE_DASHBOARD_ENTRY
OSCAR_DASHBOARD_NAVIGATION = [*OSCAR_DASHBOARD_NAVIGATION, ERP_EXCHANGE_DASHBOARD_ENTRY]
"""

from django.utils.translation import gettext_lazy as _


def staff_access(user, url_name, url_args=None, url_kwargs=None):
    """These pages are no Oscar dashboard app, so the menu asks this instead of an app's permissions."""
    return user.is_active and user.is_staff


NAVIGATION_ENTRY = {
    "label": _("1C exchange"),
    "icon": "fas fa-exchange-alt",
    "children": [
        {
            "label": _("Exchange sessions"),
            "url_name": "erp-exchange-dashboard:session-list",
            "access_fn": staff_access,
        },
    ],
}
