from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from oscar_loyalty.earning import tiers


class Command(BaseCommand):
    help = (
        "Run the beat's tier pass now: let tiers decay over the qualification window or after inactivity, "
        "and end the pins whose time is up. Each change is recorded and a lowered tier is announced to the "
        "customer. With --dry-run, print what would change and write nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Print the changes; write and send nothing.")
        parser.add_argument(
            "--now",
            help="Evaluate as of this ISO 8601 date and time instead of now (e.g. a dry run of next month's pass).",
        )

    def handle(self, *args, dry_run=False, now=None, **options):
        now = self.parse_now(now)
        if dry_run:
            reviews = tiers.review_tiers(now=now)
            for review in reviews:
                for line in review.lines():
                    self.stdout.write(line)
            count = sum(review.changes for review in reviews)
            self.stdout.write(f"Dry run: {count} tier change(s) would be written.")
            return
        changes = tiers.apply_tier_changes(now=now)
        for change in changes:
            self.stdout.write(tiers.describe(change.customer_name, change.old_tier, change.new_tier, change.reason))
        self.stdout.write(self.style.SUCCESS(f"{len(changes)} tier change(s) written."))

    def parse_now(self, value):
        if not value:
            return timezone.now()
        parsed = parse_datetime(value)
        if parsed is None:
            raise CommandError(f"--now: {value!r} is not an ISO 8601 date and time.")
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed
