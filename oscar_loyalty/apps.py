from django.contrib.auth.decorators import login_required
from django.core.management.base import CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import pre_migrate
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from oscar.core.application import OscarConfig
from oscar.core.loading import get_class

# PostgreSQL in production (row locks, the ledger's database functions), SQLite for development.
SUPPORTED_DATABASES = ("postgresql", "sqlite")


def refuse_unsupported_database(sender, *, using=DEFAULT_DB_ALIAS, **kwargs):
    """Stop ``migrate`` before its first migration on a database the plugin does not support.

    Django sends ``pre_migrate`` once the plan is made and before anything is
    written, so a shop on MySQL, MariaDB or Oracle gets this message rather
    than a half-migrated database.
    """
    connection = connections[using]
    if connection.vendor in SUPPORTED_DATABASES:
        return
    raise CommandError(
        gettext(
            "django-oscar-loyalty supports PostgreSQL (in production) and SQLite (for development), "
            'but the database "%(alias)s" is %(database)s. Nothing was migrated.'
        )
        % {"alias": using, "database": connection.display_name}
    )


class LoyaltyConfig(OscarConfig):
    label = "oscar_loyalty"
    name = "oscar_loyalty"
    verbose_name = _("Loyalty program")
    default_auto_field = "django.db.models.BigAutoField"

    namespace = "loyalty"

    def ready(self):
        pre_migrate.connect(refuse_unsupported_database, sender=self, dispatch_uid="oscar_loyalty.supported_database")

        from oscar_loyalty import checks  # noqa: F401  (registers the system checks)

        # margins and display connect the invalidation of their caches.
        from oscar_loyalty.earning import display, margins, receivers  # noqa: F401

        receivers.connect()

        from oscar_loyalty.referrals import receivers as referral_receivers

        # Before the notifications' receivers: the welcome message names the welcome bonus's points.
        referral_receivers.connect()

        from oscar_loyalty.notifications import receivers as notification_receivers

        notification_receivers.connect()

        self.bonuses_view = get_class("oscar_loyalty.customer.views", "BonusesView")
        self.bonus_entry_view = get_class("oscar_loyalty.customer.views", "BonusEntryView")
        self.notification_preferences_view = get_class("oscar_loyalty.customer.views", "NotificationPreferencesView")
        self.invite_view = get_class("oscar_loyalty.referrals.views", "InviteView")
        self.birthday_view = get_class("oscar_loyalty.referrals.views", "BirthdayView")
        self.referral_link_view = get_class("oscar_loyalty.referrals.views", "ReferralLinkView")
        self.reward_catalogue_view = get_class("oscar_loyalty.rewards.views", "RewardCatalogueView")
        self.reward_redeem_view = get_class("oscar_loyalty.rewards.views", "RedeemView")
        self.reward_order_view = get_class("oscar_loyalty.rewards.views", "RewardOrderDetailView")

        from oscar_loyalty.checkout.promotions import policy

        policy.connect()
        self.secret_code_apply_view = get_class("oscar_loyalty.checkout.promotions.views", "SecretCodeApplyView")
        self.secret_code_remove_view = get_class("oscar_loyalty.checkout.promotions.views", "SecretCodeRemoveView")
        self.secret_code_issue_view = get_class("oscar_loyalty.checkout.promotions.views", "IssueSecretCodeView")

    def get_urls(self):
        urls = [
            path("my-bonuses/", login_required(self.bonuses_view.as_view()), name="bonuses"),
            path(
                "my-bonuses/<int:entry_id>/",
                login_required(self.bonus_entry_view.as_view()),
                name="bonus-entry",
            ),
            path(
                "my-bonuses/notifications/",
                login_required(self.notification_preferences_view.as_view()),
                name="notification-preferences",
            ),
            path("my-bonuses/rewards/", login_required(self.reward_catalogue_view.as_view()), name="rewards"),
            path(
                "my-bonuses/rewards/<int:pk>/", login_required(self.reward_redeem_view.as_view()), name="reward-redeem"
            ),
            path(
                "my-bonuses/rewards/orders/<str:number>/",
                login_required(self.reward_order_view.as_view()),
                name="reward-order",
            ),
            path("my-bonuses/invite/", login_required(self.invite_view.as_view()), name="invite"),
            path("my-bonuses/birthday/", login_required(self.birthday_view.as_view()), name="birthday"),
            path("r/<str:code>/", self.referral_link_view.as_view(), name="referral-link"),
            path("secret-code/", self.secret_code_apply_view.as_view(), name="secret-code-apply"),
            path("secret-code/remove/", self.secret_code_remove_view.as_view(), name="secret-code-remove"),
            # Staff: issue a secret code for an order (linked from the dashboard's order page).
            path(
                "staff/orders/<str:number>/secret-code/",
                self.secret_code_issue_view.as_view(),
                name="secret-code-issue",
            ),
        ]
        from oscar_loyalty.codes.urls import customer_urls

        urls += customer_urls()
        return self.post_process_urls(urls)
