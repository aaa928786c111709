from django.core.management.base import BaseCommand, CommandError

from oscar_loyalty.ledger import check_accounts
from oscar_loyalty.reporting.rollups import roll_up, verify_rollups
from oscar_loyalty.reporting.tallies import rebuild_tallies, verify_tallies


class Command(BaseCommand):
    help = (
        "Recompute every points account from its journal, lots and reservations, and the KPI report's "
        "monthly roll-ups from the journal and its tier tallies from the accounts, and report any drift. "
        "Exits non-zero when one disagrees."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rebuild-rollups",
            action="store_true",
            help="Build the KPI roll-ups again from the first journal entry, and the tier tallies from the "
            "accounts, before checking them.",
        )

    def handle(self, *args, **options):
        if options["rebuild_rollups"]:
            roll_up(rebuild=True)
            rebuild_tallies()
        drifts = check_accounts()
        for drift in drifts:
            self.stderr.write(str(drift))
        rollup_problems = verify_rollups() + verify_tallies()
        for problem in rollup_problems:
            self.stderr.write(problem)
        if drifts:
            raise CommandError(f"{len(drifts)} account(s) drifted from their journal.")
        if rollup_problems:
            raise CommandError(
                "The KPI roll-ups disagree with the journal or the tier tallies with the accounts; "
                "--rebuild-rollups builds them again."
            )
        self.stdout.write(self.style.SUCCESS("All points accounts agree with their journal."))
        self.stdout.write(self.style.SUCCESS("The KPI roll-ups agree with the journal."))
