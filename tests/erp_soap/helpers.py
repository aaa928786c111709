from datetime import timedelta

from django.utils import timezone

from erp_sync.outbox import deliver_account, due_accounts


def sweep(*, at=None):
    """What the beat's sweep does, run in-process: deliver every customer with movements due."""
    at = at or timezone.now()
    return [deliver_account(account_id, now=at) for account_id in due_accounts(now=at)]


def later(seconds):
    return timezone.now() + timedelta(seconds=seconds)


def edited_in_the_erp(erp, customer, points, *, date=None):
    """An accountant's direct edit of ``customer``'s balance in the accounting system, never sent to the shop."""
    movement = {
        "key": "1c-edit",
        "customer": str(customer.pk),
        "card": "",
        "points": points,
        "kind": "adjustment",
        "order": "",
        "date": date or timezone.now().isoformat(),
    }
    erp.store.apply_movements([movement])
