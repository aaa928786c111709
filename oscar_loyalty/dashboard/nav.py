"""The loyalty section of Oscar's dashboard menu, for ``OSCAR_DASHBOARD_NAVIGATION``.

Importable from settings (it only holds lazy strings)::

    from oscar.defaults import OSCAR_DASHBOARD_NAVIGATION as OSCAR_DEFAULT_NAVIGATION
    from oscar_loyalty.dashboard.nav import LOYALTY_NAVIGATION

    OSCAR_DASHBOARD_NAVIGATION = [*OSCAR_DEFAULT_NAVIGATION, LOYALTY_NAVIGATION]

Oscar's default access function shows each item only to users allowed to
open it: KPI readers see "KPIs", loyalty managers see everything.
"""

from django.utils.translation import gettext_lazy as _

LOYALTY_NAVIGATION = {
    "label": _("Loyalty"),
    "icon": "fas fa-gift",
    "children": [
        {"label": _("KPIs"), "url_name": "loyalty-dashboard:loyalty-kpis"},
        {"label": _("Points accounts"), "url_name": "loyalty-dashboard:loyalty-account-list"},
        {"label": _("Customer segments"), "url_name": "loyalty-dashboard:loyalty-segment-list"},
        {"label": _("Program settings"), "url_name": "loyalty-dashboard:loyalty-program"},
        {"label": _("Campaigns"), "url_name": "loyalty-dashboard:loyalty-campaign-list"},
        {"label": _("Referrals"), "url_name": "loyalty-dashboard:loyalty-referral-list"},
        {"label": _("Point codes"), "url_name": "loyalty-dashboard:loyalty-code-batch-list"},
        {"label": _("Dealers"), "url_name": "loyalty-dashboard:loyalty-dealer-list"},
        {"label": _("Rewards catalogue"), "url_name": "loyalty-dashboard:loyalty-reward-list"},
        {"label": _("Reward orders"), "url_name": "loyalty-dashboard:loyalty-reward-order-list"},
    ],
}
