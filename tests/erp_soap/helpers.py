from datetime import timedelta

from django.utils import timezone

from erp_sync.outbox import deliver_account, due_accounts


def sweep(*, at=None):
    """What the beat's sweep does, run in-process: deliver every customer with movements due."""
    at = at or timezone.now()
    return [deliver_account(account_id, now=at) for account_id in due_accounts(now=at)]


def later(seconds):
    return timezone.now() + timedelta(seconds=seconds)
