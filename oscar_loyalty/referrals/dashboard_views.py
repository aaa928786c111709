"""Refer a friend in the loyalty dashboard: every referral, its status and what it gave the referrer."""

from functools import reduce
from operator import or_

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.views import generic
from oscar.core.loading import get_model

Referral = get_model("oscar_loyalty", "Referral")
CampaignAward = get_model("oscar_loyalty", "CampaignAward")


def referrer_points(friend_ids):
    """``{friend id: points}`` the referrers hold for these friends (awards less what returns took back)."""
    if not friend_ids:
        return {}
    prefixes = [f"referral:{kind}:{friend_id}:" for friend_id in friend_ids for kind in ("referrer", "purchase")]
    awards = CampaignAward.objects.filter(reduce(or_, (Q(key__startswith=prefix) for prefix in prefixes)))
    points = {}
    for key, kept in awards.annotate(kept=F("points") - F("lot__reversed_points")).values_list("key", "kept"):
        friend_id = int(key.split(":")[2])
        points[friend_id] = points.get(friend_id, 0) + kept
    return points


class ReferralListView(generic.ListView):
    """Who brought whom, how they joined, and whether the referrer was rewarded (or why not)."""

    template_name = "oscar_loyalty/referrals/dashboard/referral_list.html"
    context_object_name = "referrals"
    paginate_by = 50

    def get_queryset(self):
        referrals = Referral.objects.select_related("referrer", "friend").order_by("-created_at", "-pk")
        self.status = self.request.GET.get("status", "")
        if self.status in dict(Referral.STATUS_CHOICES):
            referrals = referrals.filter(status=self.status)
        self.query = self.request.GET.get("q", "").strip()
        if self.query:
            referrals = referrals.filter(
                Q(referrer__email__icontains=self.query)
                | Q(friend__email__icontains=self.query)
                | Q(code__iexact=self.query)
            )
        return referrals

    def get_context_data(self, **kwargs):
        ctx = super().get_context_data(**kwargs)
        points = referrer_points([referral.friend_id for referral in ctx["referrals"]])
        for referral in ctx["referrals"]:
            referral.referrer_points = points.get(referral.friend_id, 0)
        ctx.update(
            statuses=[("", _("All statuses")), *Referral.STATUS_CHOICES],
            status=self.status,
            query=self.query,
        )
        return ctx
