"""The customer's side of refer a friend and of the birthday bonus.

- ``ReferralLinkView`` (``/loyalty/r/<code>/``, anyone): keeps the code in the
  session until the visitor signs up, and sends them to the sign-up page;
- ``InviteView`` (signed in): the customer's link and code, and a form for a
  friend's code entered soon after signing up;
- ``BirthdayView`` (signed in): the date of birth, set once.

Both referrer and visitor get a random device cookie: a friend signing up
from the referrer's own browser is the referrer.
"""

import secrets

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import generic
from oscar.core.loading import get_class, get_model

from oscar_loyalty.referrals import receivers, services
from oscar_loyalty.referrals.forms import BirthdayForm, FriendCodeForm
from oscar_loyalty.segments import services as segments
from oscar_loyalty.settings import loyalty_settings

PageTitleMixin = get_class("customer.mixins", "PageTitleMixin")
Referral = get_model("oscar_loyalty", "Referral")

#: Two years: the cookie only ties a browser to the customer who used it.
DEVICE_COOKIE_AGE = 2 * 365 * 24 * 3600


def device_of(request):
    return request.COOKIES.get(receivers.DEVICE_COOKIE, "")[:64]


def with_device(request, response):
    """Give the browser a device id if it has none."""
    if not device_of(request):
        response.set_cookie(
            receivers.DEVICE_COOKIE,
            secrets.token_urlsafe(24),
            max_age=DEVICE_COOKIE_AGE,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


class ReferralLinkView(generic.View):
    """A friend's invitation: remember the code for the sign-up, then show the sign-up page."""

    def get(self, request, code):
        if request.user.is_authenticated:
            messages.info(request, _("You already have an account: invitations are for new customers."))
            return redirect("loyalty:bonuses")
        request.session[receivers.SESSION_KEY] = services.clean_code(code)[:16]
        return with_device(request, redirect(reverse("customer:register")))


class InviteView(PageTitleMixin, generic.FormView):
    """The customer's referral link and code, who joined through them, and a friend's code to enter."""

    template_name = "oscar_loyalty/referrals/invite.html"
    form_class = FriendCodeForm
    page_title = _("Invite a friend")
    active_tab = "bonuses"

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        device = device_of(request)
        if not device:
            response = with_device(request, response)
            device = response.cookies[receivers.DEVICE_COOKIE].value
        services.remember_device(request.user, device)
        return response

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        code = services.code_for(self.request.user)
        ctx["code"] = code
        ctx["link"] = self.request.build_absolute_uri(reverse("loyalty:referral-link", kwargs={"code": code.code}))
        ctx["friends"] = Referral.objects.filter(referrer=self.request.user).select_related("friend")
        ctx["brought_by"] = Referral.objects.filter(friend=self.request.user).first()
        ctx["claim_days"] = loyalty_settings.REFERRAL_CLAIM_DAYS
        ctx["purchase_shares"] = services.purchase_shares()
        return ctx

    def form_valid(self, form):
        try:
            services.join(
                self.request.user,
                form.cleaned_data["code"],
                channel=Referral.CODE,
                device=device_of(self.request),
                ip_address=receivers.client_ip(self.request),
                entered_after_signup=True,
            )
        except services.ReferralRefused as refused:
            form.add_error("code", str(refused))
            return self.form_invalid(form)
        messages.success(self.request, _("Thank you! Your friend's invitation is accepted."))
        return redirect("loyalty:invite")


class BirthdayView(PageTitleMixin, generic.FormView):
    """The customer's date of birth: set once here; afterwards only staff change it."""

    template_name = "oscar_loyalty/referrals/birthday.html"
    form_class = BirthdayForm
    page_title = _("My birthday")
    active_tab = "bonuses"

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        ctx["birthday"] = segments.birthday_of(self.request.user)
        ctx["days_before"] = loyalty_settings.BIRTHDAY_DAYS_BEFORE
        return ctx

    def form_valid(self, form):
        try:
            segments.set_birthday_by_customer(self.request.user, form.cleaned_data["birthday"])
        except segments.BirthdayAlreadySet as error:
            messages.error(self.request, str(error))
            return redirect("loyalty:birthday")
        except segments.SegmentError as error:
            form.add_error("birthday", str(error))
            return self.form_invalid(form)
        messages.success(self.request, _("Thank you! We will remember your birthday."))
        return redirect("loyalty:bonuses")
