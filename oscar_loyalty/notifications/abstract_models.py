"""Notifications' tables, as abstract models a shop can extend: the outbox of messages and each customer's choices."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AbstractNotification(models.Model):
    """One message about points to one customer over one channel: the notifications' outbox.

    A row is written in the transaction of the event it announces and
    delivered by a Celery task once that transaction commits. ``key`` names
    the event and the channel (``accrued:<lot>:email``), so an event reported
    twice is still one row, and a row is sent at most once.
    """

    EMAIL, SMS = "email", "sms"
    CHANNEL_CHOICES = [(EMAIL, _("E-mail")), (SMS, _("SMS"))]

    WELCOME = "welcome"
    ACCRUED = "accrued"
    AVAILABLE = "available"
    TIER_UPGRADED = "tier_upgraded"
    EXPIRING = "expiring"
    ADJUSTED = "adjusted"
    TIER_DOWNGRADED = "tier_downgraded"
    BIRTHDAY = "birthday"
    REWARD_ORDERED, REWARD_PACKED, REWARD_SENT = "reward_ordered", "reward_packed", "reward_sent"
    REWARD_DELIVERED, REWARD_CANCELLED = "reward_delivered", "reward_cancelled"
    EVENT_CHOICES = [
        (WELCOME, _("Welcome")),
        (ACCRUED, _("Points accrued")),
        (AVAILABLE, _("Points became available")),
        (TIER_UPGRADED, _("Tier upgraded")),
        (EXPIRING, _("Points expiring")),
        (ADJUSTED, _("Manual adjustment")),
        (TIER_DOWNGRADED, _("Tier lowered")),
        (BIRTHDAY, _("Birthday greeting")),
        (REWARD_ORDERED, _("Reward ordered")),
        (REWARD_PACKED, _("Reward packed")),
        (REWARD_SENT, _("Reward sent")),
        (REWARD_DELIVERED, _("Reward delivered")),
        (REWARD_CANCELLED, _("Reward cancelled")),
    ]

    PENDING, SENT, FAILED, SKIPPED = "pending", "sent", "failed", "skipped"
    STATUS_CHOICES = [(PENDING, _("Pending")), (SENT, _("Sent")), (FAILED, _("Failed")), (SKIPPED, _("Skipped"))]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="loyalty_notifications",
        verbose_name=_("Customer"),
    )
    event = models.CharField(_("Event"), max_length=32, choices=EVENT_CHOICES)
    channel = models.CharField(_("Channel"), max_length=8, choices=CHANNEL_CHOICES)
    key = models.CharField(_("Idempotency key"), max_length=255, unique=True)
    # Plain values for the templates (dates as ISO strings), frozen when the event happened.
    context = models.JSONField(_("Context"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    # The language active when the event happened: the customer's, when they caused it.
    language = models.CharField(_("Language"), max_length=16, blank=True)
    status = models.CharField(_("Status"), max_length=16, choices=STATUS_CHOICES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(_("Attempts"), default=0)
    last_error = models.TextField(_("Last error or reason skipped"), blank=True)
    recipient = models.CharField(_("Sent to"), max_length=255, blank=True)
    reference = models.CharField(_("Provider's message id"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("Created"), default=timezone.now)
    last_attempt_at = models.DateTimeField(_("Last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("Sent"), null=True, blank=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        ordering = ["-created_at", "-id"]
        verbose_name = _("Points notification")
        verbose_name_plural = _("Points notifications")
        indexes = [
            # The sweeper that re-enqueues deliveries whose task was lost.
            models.Index(fields=["created_at"], condition=Q(status="pending"), name="loyalty_notification_pending"),
            models.Index(fields=["user", "-created_at"], name="loyalty_notification_user"),
        ]

    def __str__(self):
        return self.key

    @property
    def event_code(self):
        """The code of Oscar's ``CommunicationEventType`` that renders this notification."""
        return f"LOYALTY_{self.event.upper()}"


class AbstractNotificationPreference(models.Model):
    """How a customer wants to hear about their points: each channel can be turned off."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="loyalty_notification_preference",
        verbose_name=_("Customer"),
    )
    email_enabled = models.BooleanField(_("E-mail me about my bonus points"), default=True)
    sms_enabled = models.BooleanField(_("Text me about my bonus points"), default=True)
    phone = models.CharField(
        _("Mobile phone number"),
        max_length=32,
        blank=True,
        help_text=_("Text messages are only sent to this number, in international format, e.g. +79161234567."),
    )
    updated_at = models.DateTimeField(_("Updated"), auto_now=True)
    # The language the customer last used the site in: messages sent in the background are written in it.
    language = models.CharField(_("Language"), max_length=16, blank=True)

    class Meta:
        abstract = True
        app_label = "oscar_loyalty"
        verbose_name = _("Notification preference")
        verbose_name_plural = _("Notification preferences")

    def __str__(self):
        return f"{self.user_id}"
