"""Entering a secret code in the basket (customers) and issuing one from an order (staff)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView
from oscar.core.loading import get_class, get_model

from oscar_loyalty.checkout.promotions import policy, services
from oscar_loyalty.checkout.promotions.forms import IssueSecretCodeForm, SecretCodeForm
from oscar_loyalty.settings import loyalty_settings

Order = get_model("order", "Order")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Basket = get_model("basket", "Basket")
Applicator = get_class("offer.applicator", "Applicator")


class SecretCodeApplyView(LoginRequiredMixin, View):
    """POST a code from the basket page: enter it in the signed-in customer's basket."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = SecretCodeForm(request.POST)
        form.is_valid()
        try:
            secret_code = services.enter(request, form.cleaned_data.get("code", ""))
        except services.SecretCodeError as exc:
            messages.error(request, str(exc))
            return redirect("basket:summary")
        basket = request.basket
        Applicator().apply(basket, request.user, request)
        if services.codes_applied(basket):
            messages.success(
                request,
                _("Secret code accepted: the promotion of order %(number)s applies to this basket.")
                % {"number": secret_code.original_order.number},
            )
        else:
            messages.warning(
                request,
                _(
                    "Secret code accepted for this basket, but its promotion's conditions are not met yet: "
                    "add the items of order %(number)s that it applied to."
                )
                % {"number": secret_code.original_order.number},
            )
        if not policy.combine_allowed() and policy.basket_has_promo_code(basket):
            messages.info(request, policy.exclusion_message())
        return redirect("basket:summary")


class SecretCodeRemoveView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if services.remove(request):
            messages.info(request, _("The secret code was removed from your basket."))
        return redirect("basket:summary")


class StaffRequiredMixin(PermissionRequiredMixin):
    permission_required = "oscar_loyalty.add_secretcode"

    def has_permission(self):
        return self.request.user.is_staff and super().has_permission()


class IssueSecretCodeView(StaffRequiredMixin, FormView):
    """Staff issue a secret code for an order (URL name ``loyalty:secret-code-issue``, argument ``number``).

    The code is shown once, on the response to the POST, and never stored.
    """

    form_class = IssueSecretCodeForm
    template_name = "oscar_loyalty/secret_codes/issue.html"
    issued_template_name = "oscar_loyalty/secret_codes/issued.html"

    def dispatch(self, request, *args, **kwargs):
        # The permission first: whoever lacks it gets the same answer whether the order exists or not.
        if not self.has_permission():
            return self.handle_no_permission()
        self.order = get_object_or_404(Order, number=kwargs["number"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        offer_ids = [offer.pk for offer in services.promotions_of(self.order)]
        kwargs["offers"] = ConditionalOffer.objects.filter(pk__in=offer_ids)
        return kwargs

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx.update(
            order=self.order,
            customer=self.order.user,
            active_code=services.active_code_for(self.order),
            not_cancelled=self.order.status not in loyalty_settings.CANCEL_STATUSES,
            codes=self.order.loyalty_secret_codes.select_related("replacement_order").order_by("-created_at"),
        )
        return ctx

    def form_valid(self, form):
        basket = None
        if form.cleaned_data["enter_in_basket"] and self.order.user is not None:
            basket = customer_basket(self.order.user)
        try:
            issued = services.issue(
                self.order,
                offers=list(form.cleaned_data["offers"]),
                days=form.cleaned_data["days"],
                reason=form.cleaned_data["reason"],
                issued_by=self.request.user,
                basket=basket,
            )
        except services.CannotIssue as exc:
            form.add_error(None, str(exc))
            return self.form_invalid(form)
        return issued_response(self.request, issued, self.issued_template_name, basket=basket)


def customer_basket(user):
    """The customer's open basket, as Oscar's middleware would pick it (created if they have none)."""
    basket = Basket.open.filter(owner=user).order_by("-id").first()
    return basket if basket is not None else Basket.open.create(owner=user)


def issued_response(request, issued, template_name, *, basket=None, extra=None):
    """The page that shows a new code, once: never cached."""
    context = {
        "code": issued.code,
        "secret_code": issued.secret_code,
        "customer_basket": basket,
        **(extra or {}),
    }
    response = TemplateResponse(request, template_name, context)
    response.render()
    add_never_cache_headers(response)
    return response
