from django.urls import path
from django.utils.translation import gettext_lazy as _
from oscar.core.application import OscarDashboardConfig
from oscar.core.loading import get_class

#: Sees the KPIs (and their CSV) and nothing else.
VIEW_KPIS = "oscar_loyalty.view_loyalty_kpis"
#: Everything: accounts, adjustments, tier pins and the program's settings.
MANAGE = "oscar_loyalty.manage_loyalty"


class LoyaltyDashboardConfig(OscarDashboardConfig):
    """Oscar's dashboard section for the loyalty program, mounted at e.g. ``dashboard/loyalty/``.

    URL names are unique across Oscar's dashboard apps (its menu looks
    views up by bare URL name), hence their ``loyalty-`` prefix.
    """

    label = "oscar_loyalty_dashboard"
    name = "oscar_loyalty.dashboard"
    verbose_name = _("Loyalty dashboard")

    namespace = "loyalty-dashboard"

    default_permissions = [MANAGE]
    permissions_map = {
        "loyalty-kpis": ([VIEW_KPIS], [MANAGE]),
        "loyalty-kpis-csv": ([VIEW_KPIS], [MANAGE]),
    }

    def ready(self):
        views = "oscar_loyalty.dashboard.views"
        self.kpi_view = get_class(views, "KPIView")
        self.kpi_csv_view = get_class(views, "KPICSVView")
        self.account_list_view = get_class(views, "AccountListView")
        self.account_detail_view = get_class(views, "AccountDetailView")
        self.adjustment_view = get_class(views, "AdjustmentView")
        self.pin_tier_view = get_class(views, "PinTierView")
        self.unpin_tier_view = get_class(views, "UnpinTierView")
        self.settings_view = get_class(views, "ProgramSettingsView")
        self.tier_create_view = get_class(views, "TierCreateView")
        self.tier_update_view = get_class(views, "TierUpdateView")
        self.tier_delete_view = get_class(views, "TierDeleteView")
        self.group_create_view = get_class(views, "MarginGroupCreateView")
        self.group_update_view = get_class(views, "MarginGroupUpdateView")
        self.group_delete_view = get_class(views, "MarginGroupDeleteView")
        self.assignment_delete_view = get_class(views, "AssignmentDeleteView")
        campaigns = "oscar_loyalty.campaigns.dashboard_views"
        self.campaign_list_view = get_class(campaigns, "CampaignRuleListView")
        self.campaign_create_view = get_class(campaigns, "CampaignRuleCreateView")
        self.campaign_update_view = get_class(campaigns, "CampaignRuleUpdateView")
        self.campaign_preview_view = get_class(campaigns, "CampaignPreviewView")
        self.referral_list_view = get_class("oscar_loyalty.referrals.dashboard_views", "ReferralListView")
        segments = "oscar_loyalty.segments.dashboard_views"
        self.segment_list_view = get_class(segments, "SegmentListView")
        self.segment_create_view = get_class(segments, "SegmentCreateView")
        self.segment_update_view = get_class(segments, "SegmentUpdateView")
        self.segment_detail_view = get_class(segments, "SegmentDetailView")
        self.segment_export_view = get_class(segments, "SegmentExportView")
        self.segment_refresh_view = get_class(segments, "SegmentRefreshView")
        self.account_birthday_view = get_class(segments, "BirthdayView")
        rewards = "oscar_loyalty.rewards.dashboard_views"
        self.reward_list_view = get_class(rewards, "RewardListView")
        self.reward_create_view = get_class(rewards, "RewardCreateView")
        self.reward_update_view = get_class(rewards, "RewardUpdateView")
        self.reward_delete_view = get_class(rewards, "RewardDeleteView")
        self.reward_order_list_view = get_class(rewards, "RewardOrderListView")
        self.reward_order_view = get_class(rewards, "RewardOrderDetailView")
        self.reward_order_status_view = get_class(rewards, "RewardOrderStatusView")
        self.reward_order_cancel_view = get_class(rewards, "RewardOrderCancelView")
        self.packing_list_view = get_class(rewards, "PackingListView")

    def get_urls(self):
        urls = [
            path("", self.kpi_view.as_view(), name="loyalty-kpis"),
            path("kpis.csv", self.kpi_csv_view.as_view(), name="loyalty-kpis-csv"),
            path("accounts/", self.account_list_view.as_view(), name="loyalty-account-list"),
            path("accounts/<int:pk>/", self.account_detail_view.as_view(), name="loyalty-account-detail"),
            path("accounts/<int:pk>/adjust/", self.adjustment_view.as_view(), name="loyalty-account-adjust"),
            path("accounts/<int:pk>/pin-tier/", self.pin_tier_view.as_view(), name="loyalty-account-pin-tier"),
            path("accounts/<int:pk>/unpin-tier/", self.unpin_tier_view.as_view(), name="loyalty-account-unpin-tier"),
            path("accounts/<int:pk>/birthday/", self.account_birthday_view.as_view(), name="loyalty-account-birthday"),
            path("segments/", self.segment_list_view.as_view(), name="loyalty-segment-list"),
            path("segments/new/", self.segment_create_view.as_view(), name="loyalty-segment-create"),
            path("segments/refresh/", self.segment_refresh_view.as_view(), name="loyalty-segment-refresh"),
            path("segments/<int:pk>/", self.segment_detail_view.as_view(), name="loyalty-segment-detail"),
            path("segments/<int:pk>/edit/", self.segment_update_view.as_view(), name="loyalty-segment-update"),
            path("segments/<int:pk>/export.csv", self.segment_export_view.as_view(), name="loyalty-segment-export"),
            path("program/", self.settings_view.as_view(), name="loyalty-program"),
            path("campaigns/", self.campaign_list_view.as_view(), name="loyalty-campaign-list"),
            path("campaigns/new/", self.campaign_create_view.as_view(), name="loyalty-campaign-create"),
            path("campaigns/preview/", self.campaign_preview_view.as_view(), name="loyalty-campaign-preview"),
            path("campaigns/<int:pk>/", self.campaign_update_view.as_view(), name="loyalty-campaign-update"),
            path("referrals/", self.referral_list_view.as_view(), name="loyalty-referral-list"),
            path("program/tiers/new/", self.tier_create_view.as_view(), name="loyalty-tier-create"),
            path("program/tiers/<int:pk>/", self.tier_update_view.as_view(), name="loyalty-tier-update"),
            path("program/tiers/<int:pk>/delete/", self.tier_delete_view.as_view(), name="loyalty-tier-delete"),
            path("program/margin-groups/new/", self.group_create_view.as_view(), name="loyalty-margin-group-create"),
            path(
                "program/margin-groups/<int:pk>/", self.group_update_view.as_view(), name="loyalty-margin-group-update"
            ),
            path(
                "program/margin-groups/<int:pk>/delete/",
                self.group_delete_view.as_view(),
                name="loyalty-margin-group-delete",
            ),
            path(
                "program/assignments/<int:pk>/delete/",
                self.assignment_delete_view.as_view(),
                name="loyalty-assignment-delete",
            ),
            path("rewards/", self.reward_list_view.as_view(), name="loyalty-reward-list"),
            path("rewards/new/", self.reward_create_view.as_view(), name="loyalty-reward-create"),
            path("rewards/<int:pk>/", self.reward_update_view.as_view(), name="loyalty-reward-update"),
            path("rewards/<int:pk>/delete/", self.reward_delete_view.as_view(), name="loyalty-reward-delete"),
            path("reward-orders/", self.reward_order_list_view.as_view(), name="loyalty-reward-order-list"),
            path("reward-orders/packing-list/", self.packing_list_view.as_view(), name="loyalty-reward-packing-list"),
            path("reward-orders/<str:number>/", self.reward_order_view.as_view(), name="loyalty-reward-order"),
            path(
                "reward-orders/<str:number>/status/",
                self.reward_order_status_view.as_view(),
                name="loyalty-reward-order-status",
            ),
            path(
                "reward-orders/<str:number>/cancel/",
                self.reward_order_cancel_view.as_view(),
                name="loyalty-reward-order-cancel",
            ),
            path(
                "reward-orders/<str:number>/packing-list/",
                self.packing_list_view.as_view(),
                name="loyalty-reward-order-packing-list",
            ),
        ]
        from oscar_loyalty.codes.urls import dashboard_urls

        urls += dashboard_urls()
        return self.post_process_urls(urls)
