"""Refer a friend: each customer's code, and who brought whom.

A ``Referral`` is written when the friend signs up with a link or a code (or
enters a code on their bonus page soon after); the referrer's reward waits
for the friend's first paid order. Refused attempts (self-referral, loops)
are never stored as referrals: the customer sees why at once.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from oscar_loyalty.compat import CheckConstraint


class AbstractReferralCode(models.Model):
    """The code a customer's friends sign up with; the link carries it too."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="loyalty_referral_code",
        verbose_name=_("Customer"),
    )
    code = models.CharField(_("Code"), max_length=16, unique=True)
    # The device the customer last opened their bonus page from: a friend signing up
    # from the same device is the customer themselves.
    device = models.CharField(_("Device"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("Created"), auto_now_add=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Referral code")
        verbose_name_plural = _("Referral codes")

    def __str__(self):
        return self.code


class AbstractReferral(models.Model):
    """A friend brought by a referrer: rewarded on sign-up, the referrer on the friend's first paid order."""

    LINK, CODE = "link", "code"
    CHANNEL_CHOICES = [(LINK, _("Referral link")), (CODE, _("Referral code"))]

    JOINED, REWARDED, REFUSED = "joined", "rewarded", "refused"
    STATUS_CHOICES = [
        (JOINED, _("Friend joined")),
        (REWARDED, _("Referrer rewarded")),
        (REFUSED, _("Referrer's reward refused")),
    ]

    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="loyalty_referrals",
        verbose_name=_("Referrer"),
    )
    friend = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="loyalty_referred_by",
        verbose_name=_("Friend"),
    )
    code = models.CharField(_("Code used"), max_length=16)
    channel = models.CharField(_("Channel"), max_length=8, choices=CHANNEL_CHOICES)
    status = models.CharField(_("Status"), max_length=16, choices=STATUS_CHOICES, default=JOINED)
    refused_reason = models.CharField(_("Why the reward was refused"), max_length=255, blank=True)
    device = models.CharField(_("Friend's device"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("Friend's IP address"), null=True, blank=True)
    first_order_number = models.CharField(_("Friend's first paid order"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("Joined"))
    rewarded_at = models.DateTimeField(_("Referrer rewarded"), null=True, blank=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-created_at", "-id"]
        verbose_name = _("Referral")
        verbose_name_plural = _("Referrals")
        constraints = [
            CheckConstraint(condition=~Q(referrer=F("friend")), name="loyalty_referral_not_self"),
        ]

    def __str__(self):
        return f"{self.referrer_id} → {self.friend_id}"
