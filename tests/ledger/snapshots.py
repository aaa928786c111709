"""Whole-ledger snapshots, for tests that assert an operation wrote nothing."""

from oscar.core.loading import get_model

LEDGER_MODELS = [
    get_model("oscar_loyalty", name)
    for name in ("Account", "Lot", "Reservation", "Allocation", "Reversal", "JournalEntry")
]


def ledger_rows():
    """Every row of every ledger table, as plain tuples ordered by primary key."""
    return {
        model.__name__: list(
            model.objects.order_by("pk").values_list(*[f.attname for f in model._meta.concrete_fields])
        )
        for model in LEDGER_MODELS
    }


def row_counts():
    return {model.__name__: model.objects.count() for model in LEDGER_MODELS}
