"""Wagtail admin wiring: the program texts snippet, and a way back to the shop's dashboard."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from wagtail_pages.models import ProgramTexts


class ProgramTextsViewSet(SnippetViewSet):
    model = ProgramTexts
    icon = "openquote"
    menu_label = _("Program texts")
    add_to_admin_menu = True
    menu_order = 250
    list_display = ["program_name", "point_name_one", "point_name_many", "locale"]


register_snippet(ProgramTextsViewSet)


@hooks.register("register_admin_menu_item")
def register_shop_dashboard_menu_item():
    return MenuItem(_("Shop dashboard"), reverse("dashboard:index"), icon_name="home", order=10000)
