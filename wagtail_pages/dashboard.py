"""A link to Wagtail's admin in Oscar's dashboard menu.

Add :data:`NAVIGATION_ENTRY` to ``OSCAR_DASHBOARD_NAVIGATION``::

    from oscar.defaults import OSCAR_DASHBOARD_NAVIGATION as OSCAR_DEFAULT_NAVIGATION
    from wagtail_pages.dashboard import NAVIGATION_ENTRY as LOYALTY_PAGES_ENTRY

    OSCAR_DASHBOARD_NAVIGATION = [*OSCAR_DEFAULT_NAVIGATION, LOYALTY_PAGES_ENTRY]
"""

from django.utils.translation import gettext_lazy as _


def can_edit_pages(user, url_name=None, url_args=None, url_kwargs=None):
    """Whether the menu shows the link: staff who may use Wagtail's admin.

    Oscar's default access function only knows URLs of its own dashboard apps
    (it raises ``KeyError`` on any other), hence one of our own.
    """
    return bool(user.is_active and user.is_staff and user.has_perm("wagtailadmin.access_admin"))


NAVIGATION_ENTRY = {
    "label": _("Program pages"),
    "icon": "fas fa-file-alt",
    "url_name": "wagtailadmin_home",
    "access_fn": can_edit_pages,
}
