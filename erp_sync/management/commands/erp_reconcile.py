"""``manage.py erp_reconcile``: compare bonus balances and orders with the accounting system."""

import sys

from django.core.management.base import BaseCommand, CommandError

from erp_sync import reconciliation
from erp_sync.soap.client import ErpError


class Command(BaseCommand):
    help = (
        "Compare each customer's bonus balance and each order's points paid and accrued with the "
        "accounting system, store the result, and print a summary (or export it as CSV or XML)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["summary", "csv", "xml"], default="summary")
        parser.add_argument("--output", help="Write the export to this file instead of standard output.")
        parser.add_argument(
            "--all", action="store_true", help="Export matched lines too (by default only the differences)."
        )
        parser.add_argument(
            "--fail-on-mismatch", action="store_true", help="Exit with status 2 when anything does not match."
        )

    def handle(self, *args, **options):
        try:
            run = reconciliation.reconcile(started_by="erp_reconcile")
        except ErpError as exc:
            raise CommandError(f"The accounting system could not be read: {exc.message}") from exc
        summary = reconciliation.summarize(run)
        lines = run.lines.all() if options["all"] else run.lines.exclude(state="matched")
        if options["format"] != "summary":
            write = reconciliation.write_csv if options["format"] == "csv" else reconciliation.write_xml
            if options["output"]:
                mode = "w" if options["format"] == "csv" else "wb"
                with open(
                    options["output"], mode, **({"newline": "", "encoding": "utf-8"} if mode == "w" else {})
                ) as f:
                    write(run, f, lines=lines)
            elif options["format"] == "csv":
                write(run, self.stdout, lines=lines)
            else:
                write(run, sys.stdout.buffer, lines=lines)
                sys.stdout.buffer.flush()
        else:
            for line in lines:
                self.stdout.write(
                    f"{line.get_scope_display()}\t{line.reference}\t{line.get_state_display()}\t"
                    f"shop={'' if line.shop_value is None else line.shop_value}\t"
                    f"erp={'' if line.erp_value is None else line.erp_value}\tdifference={line.difference:+d}"
                )
        # The summary line goes with the listing; beside an export it goes to stderr.
        (self.stdout if options["format"] == "summary" else self.stderr).write(str(summary))
        if options["fail_on_mismatch"] and (summary.mismatched or summary.missing_in_erp or summary.missing_in_shop):
            sys.exit(2)
