"""The customer's "My bonuses" pages in Oscar's account section.

Every view reads only the signed-in customer's own data: no URL or
parameter names an account, and a movement of someone else's is a 404.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views import generic
from oscar.core.loading import get_class, get_model

from oscar_loyalty import ledger
from oscar_loyalty.customer import history, progress
from oscar_loyalty.customer.forms import NotificationPreferenceForm
from oscar_loyalty.notifications.services import remember_language
from oscar_loyalty.settings import loyalty_settings

PageTitleMixin = get_class("customer.mixins", "PageTitleMixin")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")
NotificationPreference = get_model("oscar_loyalty", "NotificationPreference")


class BonusesView(PageTitleMixin, generic.ListView):
    """Tier and progress to the next one, the balance with its dates, and the history."""

    template_name = "oscar_loyalty/customer/bonuses.html"
    context_object_name = "entries"
    paginate_by = 20
    page_title = _("My bonuses")
    active_tab = "bonuses"

    def get(self, request, *args, **kwargs):
        # The page customers come back to: keep their language for the messages sent to them later.
        remember_language(request.user, getattr(request, "LANGUAGE_CODE", ""))
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return history.entries_for(self.request.user)

    def get_context_data(self, **kwargs):
        now = timezone.now()
        ctx = super().get_context_data(**kwargs)
        ctx["balance"] = ledger.get_balance(self.request.user, now=now)
        ctx["progress"] = progress.progress_for(self.request.user, now=now)
        ctx["tier_window_days"] = loyalty_settings.TIER_WINDOW_DAYS
        ctx["expiring_soon_days"] = loyalty_settings.EXPIRING_SOON_DAYS
        ctx["lines"] = [(entry, history.describe(entry, now=now)) for entry in ctx["entries"]]
        return ctx


class BonusEntryView(PageTitleMixin, generic.DetailView):
    """One movement of the customer's points, with the dates of the lot it concerns."""

    template_name = "oscar_loyalty/customer/bonus_entry.html"
    context_object_name = "entry"
    page_title = _("Bonus points movement")
    active_tab = "bonuses"

    def get_object(self, queryset=None):
        entries = JournalEntry.objects.select_related("lot", "reservation", "reversal")
        return get_object_or_404(entries, pk=self.kwargs["entry_id"], account__user=self.request.user)

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["description"] = history.describe(self.object)
        return ctx


class NotificationPreferencesView(PageTitleMixin, generic.UpdateView):
    """Which channels the customer hears about their points through, and their phone number."""

    form_class = NotificationPreferenceForm
    template_name = "oscar_loyalty/customer/notification_preferences.html"
    page_title = _("Bonus notifications")
    active_tab = "bonuses"
    success_url = reverse_lazy("loyalty:bonuses")

    def get_object(self, queryset=None):
        # Reading the page creates nothing; saving the form does.
        preference = NotificationPreference.objects.filter(user=self.request.user).first()
        return preference or NotificationPreference(user=self.request.user)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Your notification settings have been saved."))
        return response
