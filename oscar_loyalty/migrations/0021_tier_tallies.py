"""Tier tallies: the KPI page counts account holders by tier from a few rows instead of every account.

Database triggers keep them on PostgreSQL, in the transaction of every change
(see ``oscar_loyalty.reporting.tallies``). The counts rest on one rule: a
customer with a tier record has a points account. ``earning.tiers`` now opens
the account with the record; this migration opens one for every customer
who has a record and no account yet, then counts what is there.
"""

from django.db import migrations, models
from django.db.models import Exists, OuterRef

EVENTS = ("insert", "delete", "update", "truncate")


def trigger_sql(tally, account, customer_tier):
    """``(create, drop)`` statements of the triggers on the accounts and the tier records."""
    bodies = {
        # Accounts with a customer.
        ("holders", "insert"): f"""
            INSERT INTO {tally} (kind, tier_ref, delta)
            SELECT 'holders', NULL, count(*) FROM new_rows WHERE user_id IS NOT NULL HAVING count(*) > 0;""",
        ("holders", "delete"): f"""
            INSERT INTO {tally} (kind, tier_ref, delta)
            SELECT 'holders', NULL, -count(*) FROM old_rows WHERE user_id IS NOT NULL HAVING count(*) > 0;""",
        ("holders", "update"): f"""
            INSERT INTO {tally} (kind, tier_ref, delta)
            VALUES ('holders', NULL, CASE WHEN NEW.user_id IS NULL THEN -1 ELSE 1 END);""",
        ("holders", "truncate"): f"DELETE FROM {tally} WHERE kind = 'holders';",
        # Tier records by their computed tier.
        ("tier", "insert"): f"""
            INSERT INTO {tally} (kind, tier_ref, delta)
            SELECT 'tier', tier_id, count(*) FROM new_rows GROUP BY tier_id;""",
        ("tier", "delete"): f"""
            INSERT INTO {tally} (kind, tier_ref, delta)
            SELECT 'tier', tier_id, -count(*) FROM old_rows GROUP BY tier_id;""",
        ("tier", "update"): f"""
            INSERT INTO {tally} (kind, tier_ref, delta) VALUES ('tier', OLD.tier_id, -1), ('tier', NEW.tier_id, 1);""",
        ("tier", "truncate"): f"DELETE FROM {tally} WHERE kind = 'tier';",
    }
    tables = {"holders": account, "tier": customer_tier}
    # Inserts and deletes once per statement (a bulk load adds one row); an update only when it changes the count.
    when = {
        ("holders", "insert"): "AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
        ("holders", "delete"): "AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
        ("holders", "update"): (
            "AFTER UPDATE OF user_id ON {table} FOR EACH ROW "
            "WHEN ((OLD.user_id IS NULL) IS DISTINCT FROM (NEW.user_id IS NULL))"
        ),
        ("holders", "truncate"): "AFTER TRUNCATE ON {table} FOR EACH STATEMENT",
        ("tier", "insert"): "AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT",
        ("tier", "delete"): "AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT",
        ("tier", "update"): (
            "AFTER UPDATE OF tier_id ON {table} FOR EACH ROW WHEN (OLD.tier_id IS DISTINCT FROM NEW.tier_id)"
        ),
        ("tier", "truncate"): "AFTER TRUNCATE ON {table} FOR EACH STATEMENT",
    }
    create, drop = [], []
    for (kind, event), body in bodies.items():
        name = f"oscar_loyalty_tally_{kind}_{event}"
        table = tables[kind]
        create.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body}\n    RETURN NULL;\nEND $$;"
        )
        create.append(f"CREATE TRIGGER {name} {when[kind, event].format(table=table)} EXECUTE FUNCTION {name}();")
        drop.append(f"DROP TRIGGER IF EXISTS {name} ON {table};")
        drop.append(f"DROP FUNCTION IF EXISTS {name}();")
    return create, drop


def tables(apps, schema_editor):
    quote = schema_editor.connection.ops.quote_name
    return [
        quote(apps.get_model("oscar_loyalty", name)._meta.db_table) for name in ("TierTally", "Account", "CustomerTier")
    ]


def open_accounts(apps, schema_editor):
    """A points account for every customer with a tier record and none yet (no points, nothing in the journal)."""
    Account = apps.get_model("oscar_loyalty", "Account")
    CustomerTier = apps.get_model("oscar_loyalty", "CustomerTier")
    # NOT EXISTS: an anti-join, where NOT IN over a million accounts would compare every pair.
    missing = CustomerTier.objects.filter(~Exists(Account.objects.filter(user_id=OuterRef("user_id"))))
    missing = missing.select_related("user")
    for state in missing.iterator():
        user = state.user
        parts = (getattr(user, "first_name", ""), getattr(user, "last_name", ""))
        name = " ".join(part for part in parts if part) or getattr(user, "email", "") or str(user.pk)
        Account.objects.get_or_create(user_id=user.pk, defaults={"customer_name": name[:255]})


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    tally, account, customer_tier = tables(apps, schema_editor)
    create, _drop = trigger_sql(tally, account, customer_tier)
    with schema_editor.connection.cursor() as cursor:
        # Taken before the triggers exist and the counts are read, so no change slips between them.
        cursor.execute(f"LOCK TABLE {account}, {customer_tier} IN SHARE ROW EXCLUSIVE MODE")
        for statement in create:
            cursor.execute(statement)
        cursor.execute(f"DELETE FROM {tally}")
        cursor.execute(
            f"INSERT INTO {tally} (kind, tier_ref, delta) "
            f"SELECT 'holders', NULL, count(*) FROM {account} WHERE user_id IS NOT NULL HAVING count(*) > 0"
        )
        cursor.execute(
            f"INSERT INTO {tally} (kind, tier_ref, delta) SELECT 'tier', tier_id, count(*) FROM {customer_tier} "
            "GROUP BY tier_id"
        )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    _create, drop = trigger_sql(*tables(apps, schema_editor))
    with schema_editor.connection.cursor() as cursor:
        for statement in drop:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("oscar_loyalty", "0020_campaign_friend_purchases"),
    ]

    operations = [
        migrations.CreateModel(
            name="TierTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=8, verbose_name="Kind")),
                ("tier_ref", models.BigIntegerField(blank=True, null=True, verbose_name="Tier")),
                ("delta", models.BigIntegerField(verbose_name="Change")),
            ],
            options={
                "verbose_name": "Tier tally",
                "verbose_name_plural": "Tier tallies",
                "abstract": False,
            },
        ),
        migrations.RunPython(open_accounts, migrations.RunPython.noop),
        migrations.RunPython(install, uninstall),
    ]
