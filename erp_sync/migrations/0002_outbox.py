"""The SOAP exchange's tables, and the trigger that fills the outbox.

Every journal entry that changes what a customer owns gets an outbox row from
a trigger, inside the transaction that inserts the entry: whichever code
writes the journal (the Python ledger, a PL/pgSQL function, a set-based beat
pass), a movement is never committed without its row, nor a row without its
movement. What is left out, and why: see ``erp_sync.soap.trigger``.
"""

import django.db.models.deletion
from django.db import migrations, models

from erp_sync.soap import trigger


def _tables(apps):
    return {
        "journal": apps.get_model("oscar_loyalty", "JournalEntry")._meta.db_table,
        "account": apps.get_model("oscar_loyalty", "Account")._meta.db_table,
        "outbox": apps.get_model("erp_sync", "OutboxMessage")._meta.db_table,
    }


def forwards(apps, schema_editor):
    for sql in trigger.statements(schema_editor.connection.vendor, **_tables(apps)):
        schema_editor.execute(sql, params=None)


def backwards(apps, schema_editor):
    for sql in trigger.drop_statements(schema_editor.connection.vendor, journal=_tables(apps)["journal"]):
        schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("erp_sync", "0001_initial"),
        # After the migrations that rebuild the journal table (SQLite drops triggers then).
        ("oscar_loyalty", "0006_points_account_labels"),
    ]

    operations = [
        migrations.CreateModel(
            name="ErpChange",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[("correction", "Balance correction"), ("status", "Status")],
                        max_length=16,
                        verbose_name="Kind",
                    ),
                ),
                ("erp_id", models.CharField(max_length=255, verbose_name="Id in the accounting system")),
                ("customer", models.CharField(max_length=255, verbose_name="Customer code")),
                ("points", models.BigIntegerField(blank=True, null=True, verbose_name="Points")),
                ("tier", models.CharField(blank=True, max_length=64, verbose_name="Tier")),
                ("reason", models.CharField(blank=True, max_length=255, verbose_name="Reason")),
                ("accountant", models.CharField(blank=True, max_length=255, verbose_name="Accountant")),
                (
                    "state",
                    models.CharField(
                        choices=[("applied", "Applied"), ("failed", "Not applied")],
                        max_length=16,
                        verbose_name="State",
                    ),
                ),
                ("error", models.TextField(blank=True, verbose_name="Error")),
                ("received_at", models.DateTimeField(auto_now_add=True, verbose_name="Received")),
            ],
            options={
                "verbose_name": "Change from the accounting system",
                "verbose_name_plural": "Changes from the accounting system",
                "ordering": ["-id"],
                "abstract": False,
                "constraints": [models.UniqueConstraint(fields=("kind", "erp_id"), name="erp_change_unique")],
            },
        ),
        migrations.CreateModel(
            name="ErpCursor",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=64, unique=True, verbose_name="Feed")),
                ("value", models.CharField(blank=True, max_length=255, verbose_name="Cursor")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="Updated")),
            ],
            options={
                "verbose_name": "Exchange cursor",
                "verbose_name_plural": "Exchange cursors",
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="ReconciliationRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("started_at", models.DateTimeField(verbose_name="Started")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="Finished")),
                ("started_by", models.CharField(blank=True, max_length=255, verbose_name="Started by")),
                ("error", models.TextField(blank=True, verbose_name="Error")),
            ],
            options={
                "verbose_name": "Reconciliation",
                "verbose_name_plural": "Reconciliations",
                "ordering": ["-started_at", "-id"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="OutboxMessage",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("customer_id", models.BigIntegerField(blank=True, null=True, verbose_name="Customer")),
                ("key", models.CharField(max_length=255, verbose_name="Movement key")),
                ("kind", models.CharField(max_length=32, verbose_name="Kind")),
                ("points", models.BigIntegerField(verbose_name="Points")),
                ("order_number", models.CharField(blank=True, max_length=128, verbose_name="Order number")),
                ("created_at", models.DateTimeField(verbose_name="Movement date")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Waiting to be sent"),
                            ("delivered", "Delivered"),
                            ("parked", "Parked (needs staff)"),
                        ],
                        default="pending",
                        max_length=16,
                        verbose_name="Status",
                    ),
                ),
                ("attempts", models.PositiveIntegerField(default=0, verbose_name="Attempts")),
                ("next_attempt_at", models.DateTimeField(blank=True, null=True, verbose_name="Next attempt")),
                ("locked_until", models.DateTimeField(blank=True, null=True, verbose_name="Being sent until")),
                ("lease_token", models.CharField(blank=True, default="", max_length=32)),
                ("last_error", models.TextField(blank=True, default="", verbose_name="Last error")),
                ("delivered_at", models.DateTimeField(blank=True, null=True, verbose_name="Delivered")),
                (
                    "account",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="oscar_loyalty.account",
                        verbose_name="Points account",
                    ),
                ),
                (
                    "entry",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="erp_outbox",
                        to="oscar_loyalty.journalentry",
                        verbose_name="Journal entry",
                    ),
                ),
            ],
            options={
                "verbose_name": "Movement for the accounting system",
                "verbose_name_plural": "Movements for the accounting system",
                "ordering": ["id"],
                "abstract": False,
                "indexes": [
                    models.Index(
                        condition=models.Q(("status", "delivered"), _negated=True),
                        fields=["account", "id"],
                        name="erp_outbox_account_queue",
                    ),
                    models.Index(
                        condition=models.Q(("status", "pending")), fields=["next_attempt_at"], name="erp_outbox_due"
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ReconciliationLine",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "scope",
                    models.CharField(
                        choices=[
                            ("customer", "Customer balance"),
                            ("order_paid", "Order: paid with points"),
                            ("order_accrued", "Order: points accrued"),
                        ],
                        max_length=16,
                        verbose_name="What",
                    ),
                ),
                ("reference", models.CharField(max_length=255, verbose_name="Customer or order")),
                ("shop_value", models.BigIntegerField(blank=True, null=True, verbose_name="Shop")),
                ("erp_value", models.BigIntegerField(blank=True, null=True, verbose_name="Accounting system")),
                ("difference", models.BigIntegerField(default=0, verbose_name="Difference")),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("matched", "Matched"),
                            ("mismatched", "Mismatched"),
                            ("missing_in_erp", "Missing in the accounting system"),
                            ("missing_in_shop", "Missing in the shop"),
                        ],
                        max_length=16,
                        verbose_name="State",
                    ),
                ),
                (
                    "resolution",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("pushed", "Shop's movements sent again"),
                            ("accepted", "Accounting system's figure accepted"),
                        ],
                        max_length=16,
                        verbose_name="Resolution",
                    ),
                ),
                ("resolved_by", models.CharField(blank=True, max_length=255, verbose_name="Resolved by")),
                ("resolved_at", models.DateTimeField(blank=True, null=True, verbose_name="Resolved")),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lines",
                        to="erp_sync.reconciliationrun",
                    ),
                ),
            ],
            options={
                "verbose_name": "Reconciliation line",
                "verbose_name_plural": "Reconciliation lines",
                "ordering": ["scope", "reference"],
                "abstract": False,
                "indexes": [models.Index(fields=["run", "state"], name="erp_recon_line_state")],
            },
        ),
        migrations.RunPython(forwards, backwards),
    ]
