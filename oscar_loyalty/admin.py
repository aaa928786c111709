"""Read-only views of the ledger for staff: it is changed only through its service API."""

from django import forms
from django.contrib import admin
from django.core.validators import MaxValueValidator
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from oscar.core.loading import get_model

Account = get_model("oscar_loyalty", "Account")
Lot = get_model("oscar_loyalty", "Lot")
Reservation = get_model("oscar_loyalty", "Reservation")
Reversal = get_model("oscar_loyalty", "Reversal")
JournalEntry = get_model("oscar_loyalty", "JournalEntry")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["customer_name", "status", "available", "pending", "reserved", "debt", "journal_link"]
    list_filter = ["status"]
    search_fields = ["customer_name", "user__email"]
    raw_id_fields = ["user"]

    @admin.display(description=_("Journal"))
    def journal_link(self, account):
        url = reverse("admin:oscar_loyalty_journalentry_changelist") + f"?account__id__exact={account.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Journal"))


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "account",
        "kind",
        "points",
        "available_change",
        "pending_change",
        "reserved_change",
        "debt_change",
        "order_number",
        "actor_name",
        "reason",
    ]
    list_filter = ["kind"]
    search_fields = ["order_number", "key", "account__customer_name", "actor_name"]
    list_select_related = ["account"]
    date_hierarchy = "created_at"


@admin.register(Lot)
class LotAdmin(ReadOnlyAdmin):
    list_display = ["account", "points", "remaining", "status", "origin", "available_at", "expires_at", "order_number"]
    list_filter = ["status", "origin"]
    search_fields = ["order_number", "account__customer_name"]
    list_select_related = ["account"]


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["account", "points", "order_number", "status", "created_at", "expires_at"]
    list_filter = ["status"]
    search_fields = ["order_number", "key", "account__customer_name"]
    list_select_related = ["account"]


@admin.register(Reversal)
class ReversalAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "order_number",
        "fraction",
        "cumulative_fraction",
        "points_reversed",
        "debt_created",
        "points_restored",
        "actor_name",
    ]
    search_fields = ["order_number", "key"]


# --- Earning: editable program data ------------------------------------------

Tier = get_model("oscar_loyalty", "Tier")
CustomerTier = get_model("oscar_loyalty", "CustomerTier")
TierChange = get_model("oscar_loyalty", "TierChange")
MarginGroup = get_model("oscar_loyalty", "MarginGroup")
MarginGroupAssignment = get_model("oscar_loyalty", "MarginGroupAssignment")
QualifyingPurchase = get_model("oscar_loyalty", "QualifyingPurchase")
Notification = get_model("oscar_loyalty", "Notification")


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "threshold", "cashback_percent", "max_share_percent", "sort_order"]
    list_editable = ["threshold", "cashback_percent", "max_share_percent", "sort_order"]
    prepopulated_fields = {"code": ["name"]}


class MarginGroupAssignmentInline(admin.TabularInline):
    model = MarginGroupAssignment
    extra = 1
    raw_id_fields = ["product", "category", "product_class"]


@admin.register(MarginGroup)
class MarginGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "coefficient", "is_default"]
    list_editable = ["coefficient"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [MarginGroupAssignmentInline]


class CustomerTierForm(forms.ModelForm):
    reason = forms.CharField(label=_("Reason"), max_length=255, help_text=_("Recorded in the tier history."))

    class Meta:
        model = CustomerTier
        fields = ["pinned_tier", "pinned_until"]


@admin.register(CustomerTier)
class CustomerTierAdmin(admin.ModelAdmin):
    """Staff pin (or unpin) a customer's tier here; the change goes through the tier service and its history."""

    form = CustomerTierForm
    list_display = ["user", "tier", "pinned_tier", "pinned_until", "volume", "last_purchase_at"]
    list_select_related = ["user", "tier", "pinned_tier"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    readonly_fields = ["user", "tier", "volume", "last_purchase_at", "pinned_by"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        from oscar_loyalty.earning import tiers

        pinned, until, reason = (
            form.cleaned_data["pinned_tier"],
            form.cleaned_data["pinned_until"],
            form.cleaned_data["reason"],
        )
        if pinned is None:
            tiers.unpin_tier(obj.user, actor=request.user, reason=reason)
        else:
            tiers.pin_tier(obj.user, pinned, actor=request.user, reason=reason, until=until)


@admin.register(TierChange)
class TierChangeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "customer_name", "old_tier", "new_tier", "source", "actor_name", "reason"]
    list_filter = ["source", "new_tier"]
    search_fields = ["customer_name", "actor_name"]


@admin.register(QualifyingPurchase)
class QualifyingPurchaseAdmin(ReadOnlyAdmin):
    list_display = ["order_number", "user", "amount", "returned", "placed_at"]
    search_fields = ["order_number", "user__email"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "event", "channel", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "channel", "event"]
    search_fields = ["user__email", "key"]


# --- Secret codes: issued through the service, shown once, never edited ----------

SecretCode = get_model("oscar_loyalty", "SecretCode")
SecretCodeAttempt = get_model("oscar_loyalty", "SecretCodeAttempt")


class IssueSecretCodeAdminForm(forms.ModelForm):
    days = forms.IntegerField(label=_("Valid for, days"), min_value=1)
    offers = forms.ModelMultipleChoiceField(
        label=_("Promotions the code keeps"),
        queryset=get_model("offer", "ConditionalOffer").objects.all(),
        required=False,
        help_text=_("Leave empty to keep every promotion that applied to the order."),
    )

    class Meta:
        model = SecretCode
        fields = ["original_order", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from oscar_loyalty.settings import loyalty_settings

        self.fields["days"].initial = loyalty_settings.SECRET_CODE_DAYS
        self.fields["days"].validators.append(MaxValueValidator(loyalty_settings.SECRET_CODE_MAX_DAYS))


@admin.register(SecretCode)
class SecretCodeAdmin(admin.ModelAdmin):
    """Staff issue codes here (or from an order: ``loyalty:secret-code-issue``); the code is shown once."""

    list_display = [
        "code_hint",
        "customer_name",
        "original_order",
        "state_display",
        "created_at",
        "expires_at",
        "replacement_order",
        "issued_by_name",
        "used_by_name",
    ]
    search_fields = ["code_hint", "customer_name", "original_order__number", "replacement_order__number"]
    list_select_related = ["original_order", "replacement_order"]
    raw_id_fields = ["original_order"]
    actions = ["revoke_codes"]
    form = IssueSecretCodeAdminForm
    readonly_fields = [
        "code_hint",
        "customer",
        "customer_name",
        "original_order",
        "offers",
        "reason",
        "issued_by_name",
        "created_at",
        "expires_at",
        "basket",
        "applied_at",
        "used_at",
        "replacement_order",
        "used_by_name",
        "revoked_at",
        "revoked_by_name",
    ]

    @admin.display(description=_("State"))
    def state_display(self, secret_code):
        return {
            SecretCode.ACTIVE: _("Active"),
            SecretCode.USED: _("Used"),
            SecretCode.REVOKED: _("Revoked"),
            SecretCode.EXPIRED: _("Expired"),
        }[secret_code.state()]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["original_order", "offers", "days", "reason"]
        return self.readonly_fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)

    def has_change_permission(self, request, obj=None):
        # Viewing only: a code is changed by the service (entered, used, revoked).
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        if request.method != "POST":
            return super().add_view(request, form_url, extra_context)
        form_class = self.get_form(request)
        form = form_class(request.POST)
        if not form.is_valid() or not self.has_add_permission(request):
            return super().add_view(request, form_url, extra_context)
        from oscar_loyalty.checkout.promotions import services, views

        offers = list(form.cleaned_data["offers"]) or None
        try:
            issued = services.issue(
                form.cleaned_data["original_order"],
                offers=offers,
                days=form.cleaned_data["days"],
                reason=form.cleaned_data["reason"],
                issued_by=request.user,
            )
        except services.CannotIssue as exc:
            self.message_user(request, str(exc), level="error")
            # Back to the empty form: the admin's own POST handling would save a row the service refused.
            return HttpResponseRedirect(request.get_full_path())
        return views.issued_response(
            request,
            issued,
            "admin/oscar_loyalty/secretcode/issued.html",
            extra={**self.admin_site.each_context(request), "opts": self.model._meta, "title": _("Secret code issued")},
        )

    @admin.action(description=_("Revoke the selected codes"))
    def revoke_codes(self, request, queryset):
        from oscar_loyalty.checkout.promotions import services

        revoked = sum(services.revoke(secret_code, actor=request.user) for secret_code in queryset)
        self.message_user(
            request,
            ngettext("%(count)s code revoked.", "%(count)s codes revoked.", revoked) % {"count": revoked},
        )

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not request.user.has_perm("oscar_loyalty.add_secretcode"):
            actions.pop("revoke_codes", None)
        return actions


@admin.register(SecretCodeAttempt)
class SecretCodeAttemptAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "outcome", "code", "user_name", "acting_staff_name", "ip_address", "order_number"]
    list_filter = ["outcome"]
    search_fields = ["user_name", "acting_staff_name", "ip_address", "order_number", "code__code_hint"]
    list_select_related = ["code"]
    date_hierarchy = "created_at"
