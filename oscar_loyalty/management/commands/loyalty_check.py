from django.core.management.base import BaseCommand, CommandError

from oscar_loyalty.ledger import check_accounts


class Command(BaseCommand):
    help = (
        "Recompute every points account from its journal, lots and reservations and report any "
        "drift. Exits non-zero when an account disagrees."
    )

    def handle(self, *args, **options):
        drifts = check_accounts()
        for drift in drifts:
            self.stderr.write(str(drift))
        if drifts:
            raise CommandError(f"{len(drifts)} account(s) drifted from their journal.")
        self.stdout.write(self.style.SUCCESS("All points accounts agree with their journal."))
