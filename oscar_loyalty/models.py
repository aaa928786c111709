from oscar.core.loading import is_model_registered

from oscar_loyalty.abstract_models import (
    AbstractAccount,
    AbstractAllocation,
    AbstractCustomerTier,
    AbstractJournalEntry,
    AbstractLot,
    AbstractMarginGroup,
    AbstractMarginGroupAssignment,
    AbstractNotification,
    AbstractNotificationPreference,
    AbstractQualifyingPurchase,
    AbstractReservation,
    AbstractReversal,
    AbstractSecretCode,
    AbstractSecretCodeAttempt,
    AbstractTier,
    AbstractTierChange,
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
