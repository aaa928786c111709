from oscar.core.loading import is_model_registered

from oscar_loyalty.abstract_models import (
    AbstractAccount,
    AbstractAllocation,
    AbstractJournalEntry,
    AbstractLot,
    AbstractReservation,
    AbstractReversal,
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
