from oscar.core.loading import is_model_registered

from oscar_loyalty.abstract_models import (
    AbstractAccount,
    AbstractAllocation,
    AbstractJournalEntry,
    AbstractLot,
    AbstractReservation,
    AbstractReversal,
)
from oscar_loyalty.checkout.promotions.abstract_models import AbstractSecretCode, AbstractSecretCodeAttempt
from oscar_loyalty.codes.abstract_models import (
    AbstractBatchRequest,
    AbstractDealer,
    AbstractManufacturerProgram,
    AbstractPointCode,
    AbstractPointCodeAttempt,
    AbstractPointCodeBatch,
    AbstractVolumeBonus,
)
from oscar_loyalty.earning.abstract_models import (
    AbstractCustomerTier,
    AbstractMarginGroup,
    AbstractMarginGroupAssignment,
    AbstractQualifyingPurchase,
    AbstractTier,
    AbstractTierChange,
)
from oscar_loyalty.notifications.abstract_models import AbstractNotification, AbstractNotificationPreference
from oscar_loyalty.referrals.abstract_models import AbstractReferral, AbstractReferralCode
from oscar_loyalty.segments.abstract_models import (
    AbstractCustomerBirthday,
    AbstractRFMScore,
    AbstractSegment,
    AbstractSegmentMembership,
    AbstractSegmentSnapshot,
)

__all__ = []

if not is_model_registered("oscar_loyalty", "Account"):

    class Account(AbstractAccount):
        pass

    __all__.append("Account")

if not is_model_registered("oscar_loyalty", "Lot"):

    class Lot(AbstractLot):
        pass

    __all__.append("Lot")

if not is_model_registered("oscar_loyalty", "Reservation"):

    class Reservation(AbstractReservation):
        pass

    __all__.append("Reservation")

if not is_model_registered("oscar_loyalty", "Allocation"):

    class Allocation(AbstractAllocation):
        pass

    __all__.append("Allocation")

if not is_model_registered("oscar_loyalty", "Reversal"):

    class Reversal(AbstractReversal):
        pass

    __all__.append("Reversal")

if not is_model_registered("oscar_loyalty", "JournalEntry"):

    class JournalEntry(AbstractJournalEntry):
        pass

    __all__.append("JournalEntry")

if not is_model_registered("oscar_loyalty", "Tier"):

    class Tier(AbstractTier):
        pass

    __all__.append("Tier")

if not is_model_registered("oscar_loyalty", "CustomerTier"):

    class CustomerTier(AbstractCustomerTier):
        pass

    __all__.append("CustomerTier")

if not is_model_registered("oscar_loyalty", "TierChange"):

    class TierChange(AbstractTierChange):
        pass

    __all__.append("TierChange")

if not is_model_registered("oscar_loyalty", "QualifyingPurchase"):

    class QualifyingPurchase(AbstractQualifyingPurchase):
        pass

    __all__.append("QualifyingPurchase")

if not is_model_registered("oscar_loyalty", "MarginGroup"):

    class MarginGroup(AbstractMarginGroup):
        pass

    __all__.append("MarginGroup")

if not is_model_registered("oscar_loyalty", "MarginGroupAssignment"):

    class MarginGroupAssignment(AbstractMarginGroupAssignment):
        pass

    __all__.append("MarginGroupAssignment")

if not is_model_registered("oscar_loyalty", "Notification"):

    class Notification(AbstractNotification):
        pass

    __all__.append("Notification")

if not is_model_registered("oscar_loyalty", "NotificationPreference"):

    class NotificationPreference(AbstractNotificationPreference):
        pass

    __all__.append("NotificationPreference")

if not is_model_registered("oscar_loyalty", "SecretCode"):

    class SecretCode(AbstractSecretCode):
        pass

    __all__.append("SecretCode")

if not is_model_registered("oscar_loyalty", "SecretCodeAttempt"):

    class SecretCodeAttempt(AbstractSecretCodeAttempt):
        pass

    __all__.append("SecretCodeAttempt")

if not is_model_registered("oscar_loyalty", "Segment"):

    class Segment(AbstractSegment):
        pass

    __all__.append("Segment")

if not is_model_registered("oscar_loyalty", "SegmentMembership"):

    class SegmentMembership(AbstractSegmentMembership):
        pass

    __all__.append("SegmentMembership")

if not is_model_registered("oscar_loyalty", "SegmentSnapshot"):

    class SegmentSnapshot(AbstractSegmentSnapshot):
        pass

    __all__.append("SegmentSnapshot")

if not is_model_registered("oscar_loyalty", "RFMScore"):

    class RFMScore(AbstractRFMScore):
        pass

    __all__.append("RFMScore")

if not is_model_registered("oscar_loyalty", "CustomerBirthday"):

    class CustomerBirthday(AbstractCustomerBirthday):
        pass

    __all__.append("CustomerBirthday")

if not is_model_registered("oscar_loyalty", "ReferralCode"):

    class ReferralCode(AbstractReferralCode):
        pass

    __all__.append("ReferralCode")

if not is_model_registered("oscar_loyalty", "Referral"):

    class Referral(AbstractReferral):
        pass

    __all__.append("Referral")

# --- Rewards catalogue ----------------------------------------------------------

from oscar_loyalty.rewards.abstract_models import AbstractReward, AbstractRewardOrder  # noqa: E402

if not is_model_registered("oscar_loyalty", "Reward"):

    class Reward(AbstractReward):
        pass

    __all__.append("Reward")

if not is_model_registered("oscar_loyalty", "RewardOrder"):

    class RewardOrder(AbstractRewardOrder):
        pass

    __all__.append("RewardOrder")

# The proxy condition of reward vouchers' offers, registered with the app's models.
from oscar_loyalty.rewards.conditions import RewardVoucherCondition  # noqa: E402, F401

if not is_model_registered("oscar_loyalty", "ManufacturerProgram"):

    class ManufacturerProgram(AbstractManufacturerProgram):
        pass

    __all__.append("ManufacturerProgram")

if not is_model_registered("oscar_loyalty", "Dealer"):

    class Dealer(AbstractDealer):
        pass

    __all__.append("Dealer")

if not is_model_registered("oscar_loyalty", "PointCodeBatch"):

    class PointCodeBatch(AbstractPointCodeBatch):
        pass

    __all__.append("PointCodeBatch")

if not is_model_registered("oscar_loyalty", "PointCode"):

    class PointCode(AbstractPointCode):
        pass

    __all__.append("PointCode")

if not is_model_registered("oscar_loyalty", "PointCodeAttempt"):

    class PointCodeAttempt(AbstractPointCodeAttempt):
        pass

    __all__.append("PointCodeAttempt")

if not is_model_registered("oscar_loyalty", "VolumeBonus"):

    class VolumeBonus(AbstractVolumeBonus):
        pass

    __all__.append("VolumeBonus")

if not is_model_registered("oscar_loyalty", "BatchRequest"):

    class BatchRequest(AbstractBatchRequest):
        pass

    __all__.append("BatchRequest")

# The KPI report's monthly roll-ups of the journal (oscar_loyalty.reporting).
from oscar_loyalty.reporting import abstract_models as reporting  # noqa: E402

if not is_model_registered("oscar_loyalty", "RollupWatermark"):

    class RollupWatermark(reporting.AbstractRollupWatermark):
        pass

    __all__.append("RollupWatermark")

if not is_model_registered("oscar_loyalty", "MovementRollup"):

    class MovementRollup(reporting.AbstractMovementRollup):
        pass

    __all__.append("MovementRollup")

if not is_model_registered("oscar_loyalty", "AccountMonth"):

    class AccountMonth(reporting.AbstractAccountMonth):
        pass

    __all__.append("AccountMonth")

if not is_model_registered("oscar_loyalty", "ParticipationRollup"):

    class ParticipationRollup(reporting.AbstractParticipationRollup):
        pass

    __all__.append("ParticipationRollup")

if not is_model_registered("oscar_loyalty", "NewAccountRollup"):

    class NewAccountRollup(reporting.AbstractNewAccountRollup):
        pass

    __all__.append("NewAccountRollup")

if not is_model_registered("oscar_loyalty", "TierTally"):

    class TierTally(reporting.AbstractTierTally):
        pass

    __all__.append("TierTally")

from oscar_loyalty.campaigns import abstract_models as campaigns  # noqa: E402

if not is_model_registered("oscar_loyalty", "CampaignRule"):

    class CampaignRule(campaigns.AbstractCampaignRule):
        pass

    __all__.append("CampaignRule")

if not is_model_registered("oscar_loyalty", "CampaignBudget"):

    class CampaignBudget(campaigns.AbstractCampaignBudget):
        pass

    __all__.append("CampaignBudget")

if not is_model_registered("oscar_loyalty", "CampaignAward"):

    class CampaignAward(campaigns.AbstractCampaignAward):
        pass

    __all__.append("CampaignAward")
