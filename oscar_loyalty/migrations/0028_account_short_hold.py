"""The ledger functions hold the account's lock only while they need it.

Until now ``accrue``, ``spend`` and ``capture`` locked the account first and
wrote everything under the lock: on one busy account (a family card, a
corporate client, a shop's own test customer at a till) every operation
waited for the whole of the one before it, its inserts, index writes and
outbox row included.

Now each writes first what does not depend on the account's balances, and
locks the account after, for what does:

- ``accrue`` writes the lot and its entry, then locks the account to add the
  points. An account with debt to pay off, or with lots due to activate or
  expire, is locked first, as before: what the lot keeps depends on it. Should
  debt appear between the two (a return, at that very moment), the call is
  refused with ``LY009`` and the Python side calls again with
  ``p_lock_first``;
- ``spend`` writes the reservation and its entry, then locks the account to
  choose the lots, unless lots are due; a redemption's entry is written
  under the lock, so the accounting system receives movements in the order
  the account saw them;
- ``capture`` writes its entry, then locks the account to claim the
  reservation and move the points out of ``reserved``.

A refusal under the lock (not enough points, a released reservation) rolls
back what was written before it. A call that finds its key taken by one
that committed meanwhile removes the row it wrote first and replays.

The account is locked ``FOR NO KEY UPDATE``, the lock PostgreSQL itself
takes for an update that leaves the key alone: two operations on one
account still exclude each other, as they exclude the beat's passes and the
Python path, which take the same lock, while the foreign-key checks of the
rows written before the lock (``FOR KEY SHARE``) do not wait for it.
"""

import importlib
import textwrap

from django.db import migrations

ledger_functions = importlib.import_module("oscar_loyalty.migrations.0009_ledger_functions")
campaigns = importlib.import_module("oscar_loyalty.migrations.0017_campaigns")

JOURNAL_COLUMNS = (
    "account_id, kind, points, available_change, pending_change, reserved_change, debt_change, "
    "{link}, order_number, key, fingerprint, actor_id, actor_name, reason, created_at"
)
NO_DUE_LOTS = "(acc.next_event_at IS NULL OR acc.next_event_at > p_now)"
# Blocked, or holding lots with spend restrictions (which the Python path spends): inside an IF block.
RESTRICTED_CHECK = textwrap.indent(campaigns.RESTRICTED_CHECK, "    ")
# Spending's choice of lots, soonest-expiring first, unchanged since 0009 (it runs under the lock).
ALLOCATE = ledger_functions.SPEND[
    ledger_functions.SPEND.index("    -- The lots that expire soonest") : ledger_functions.SPEND.index(
        "    INSERT INTO oscar_loyalty_reservation"
    )
]


def replay(table, link, indent="    "):
    """PL/pgSQL: when the key's entry exists, return the ``table`` row it made, or refuse another operation's key."""
    return textwrap.indent(
        f"""SELECT fingerprint, {link} INTO earlier FROM oscar_loyalty_journalentry WHERE key = p_key;
IF FOUND THEN
    IF earlier.fingerprint <> p_fingerprint THEN
        RAISE EXCEPTION 'idempotency conflict' USING ERRCODE = 'LY002';
    END IF;
    replayed := true;
    SELECT * INTO {table} FROM oscar_loyalty_{table} WHERE id = earlier.{link};
    RETURN;
END IF;
""",
        indent,
    )


ACCRUE = f"""
CREATE OR REPLACE FUNCTION oscar_loyalty_accrue(
    p_user bigint, p_points bigint, p_key text, p_fingerprint text, p_reason text,
    p_order text, p_line text, p_origin text, p_available_at timestamptz, p_expires_at timestamptz,
    p_actor bigint, p_actor_name text, p_now timestamptz, p_lock_first boolean,
    OUT replayed boolean, OUT lot oscar_loyalty_lot
) AS $$
DECLARE
    acc oscar_loyalty_account;
    earlier record;
    entry bigint;
    locked boolean;
    paid_off bigint := 0;
    remaining bigint;
    is_pending boolean := p_available_at > p_now;
BEGIN
    SELECT * INTO acc FROM oscar_loyalty_account WHERE user_id = p_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no account' USING ERRCODE = 'LY001';
    END IF;
    -- Debt to pay off, or lots to settle, decide what the lot keeps: then the lock comes first.
    locked := p_lock_first OR acc.debt > 0 OR NOT {NO_DUE_LOTS};
    IF locked THEN
        SELECT * INTO acc FROM oscar_loyalty_account WHERE id = acc.id FOR NO KEY UPDATE;
    END IF;
{replay("lot", "lot_id")}    IF acc.status = 'blocked' THEN
        RAISE EXCEPTION 'account blocked' USING ERRCODE = 'LY003';
    END IF;
    IF locked THEN
        acc := oscar_loyalty_settle(acc, p_now);
        paid_off := LEAST(acc.debt, p_points);
    END IF;
    remaining := p_points - paid_off;
    INSERT INTO oscar_loyalty_lot
        (account_id, points, remaining, reversed_points, expired_points, status, available_at, expires_at,
         origin, order_number, order_line, parent_id, created_at)
    VALUES (acc.id, p_points, remaining, 0, 0, CASE WHEN is_pending THEN 'pending' ELSE 'active' END,
            p_available_at, p_expires_at, p_origin, p_order, p_line, NULL, p_now)
    RETURNING * INTO lot;
    INSERT INTO oscar_loyalty_journalentry ({JOURNAL_COLUMNS.format(link="lot_id")})
    VALUES (acc.id, 'accrual', p_points,
            CASE WHEN is_pending THEN 0 ELSE remaining END, CASE WHEN is_pending THEN remaining ELSE 0 END,
            0, -paid_off, lot.id, p_order, p_key, p_fingerprint, p_actor, p_actor_name, p_reason, p_now)
    ON CONFLICT (key) DO NOTHING
    RETURNING id INTO entry;
    IF entry IS NULL THEN  -- a call with the same key committed meanwhile
        IF locked THEN  -- the lots it settled are written: fail whole, and the caller's retry replays
            RAISE EXCEPTION 'the key % is taken', p_key USING ERRCODE = 'unique_violation';
        END IF;
        DELETE FROM oscar_loyalty_lot WHERE id = lot.id;
{replay("lot", "lot_id", "        ")}\
        RAISE EXCEPTION 'idempotency conflict' USING ERRCODE = 'LY002';
    END IF;
    IF NOT locked THEN
        SELECT * INTO acc FROM oscar_loyalty_account WHERE id = acc.id FOR NO KEY UPDATE;
        IF acc.status = 'blocked' THEN
            RAISE EXCEPTION 'account blocked' USING ERRCODE = 'LY003';
        END IF;
        IF acc.debt > 0 THEN  -- a return left debt meanwhile: the lot must pay it off first
            RAISE EXCEPTION 'debt appeared' USING ERRCODE = 'LY009';
        END IF;
        acc := oscar_loyalty_settle(acc, p_now);
    END IF;
    acc.debt := acc.debt - paid_off;
    IF is_pending THEN
        acc.pending := acc.pending + remaining;
    ELSE
        acc.available := acc.available + remaining;
    END IF;
    IF remaining > 0 THEN
        acc.next_event_at := LEAST(acc.next_event_at, CASE WHEN is_pending THEN p_available_at ELSE p_expires_at END);
    END IF;
    PERFORM oscar_loyalty_save_balances(acc, p_now);
    replayed := false;
END;
$$ LANGUAGE plpgsql;
"""

SPEND = f"""
CREATE OR REPLACE FUNCTION oscar_loyalty_spend(
    p_user bigint, p_points bigint, p_key text, p_fingerprint text, p_order text,
    p_capture boolean, p_expires_at timestamptz, p_now timestamptz,
    OUT replayed boolean, OUT reservation oscar_loyalty_reservation
) AS $$
DECLARE
    acc oscar_loyalty_account;
    earlier record;
    entry bigint;
    locked boolean;
    r record;
    needed bigint;
    take bigint;
    lot_ids bigint[] := '{{}}';
    amounts bigint[] := '{{}}';
BEGIN
    SELECT * INTO acc FROM oscar_loyalty_account WHERE user_id = p_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no account' USING ERRCODE = 'LY001';
    END IF;
    -- Lots due to activate or expire are settled before anything is written, under the lock.
    locked := NOT {NO_DUE_LOTS};
    IF locked THEN
        SELECT * INTO acc FROM oscar_loyalty_account WHERE id = acc.id FOR NO KEY UPDATE;
    END IF;
{replay("reservation", "reservation_id")}    IF locked THEN
{RESTRICTED_CHECK}        acc := oscar_loyalty_settle(acc, p_now);
    ELSIF acc.status = 'blocked' THEN
        RAISE EXCEPTION 'account blocked' USING ERRCODE = 'LY003';
    END IF;

    -- The reservation and its entry depend on nothing the lock guards; a refusal below rolls them back.
    INSERT INTO oscar_loyalty_reservation
        (account_id, points, order_number, key, status, created_at, expires_at, captured_at, released_at)
    VALUES (acc.id, p_points, p_order, p_key, CASE WHEN p_capture THEN 'captured' ELSE 'held' END,
            p_now, p_expires_at, CASE WHEN p_capture THEN p_now END, NULL)
    ON CONFLICT (key) DO NOTHING
    RETURNING * INTO reservation;
    IF FOUND THEN
        INSERT INTO oscar_loyalty_journalentry ({JOURNAL_COLUMNS.format(link="reservation_id")})
        VALUES (acc.id, 'reservation', 0, -p_points, 0, p_points, 0,
                reservation.id, p_order, p_key, p_fingerprint, NULL, '', '', p_now)
        ON CONFLICT (key) DO NOTHING
        RETURNING id INTO entry;
        IF entry IS NULL THEN
            DELETE FROM oscar_loyalty_reservation WHERE id = reservation.id;
        END IF;
    END IF;
    IF entry IS NULL THEN  -- a call with the same key committed meanwhile
        IF locked THEN  -- the lots it settled are written: fail whole, and the caller's retry replays
            RAISE EXCEPTION 'the key % is taken', p_key USING ERRCODE = 'unique_violation';
        END IF;
{replay("reservation", "reservation_id", "        ")}\
        RAISE EXCEPTION 'idempotency conflict' USING ERRCODE = 'LY002';
    END IF;

    IF NOT locked THEN
        SELECT * INTO acc FROM oscar_loyalty_account WHERE id = acc.id FOR NO KEY UPDATE;
{RESTRICTED_CHECK}        -- Lots that fell due meanwhile.
        acc := oscar_loyalty_settle(acc, p_now);
    END IF;
    IF p_points > acc.available THEN
        RAISE EXCEPTION 'insufficient points' USING ERRCODE = 'LY004', DETAIL = acc.available::text;
    END IF;

{ALLOCATE}    INSERT INTO oscar_loyalty_allocation (reservation_id, lot_id, points, restored_points)
    SELECT reservation.id, a.lot_id, a.points, 0 FROM unnest(lot_ids, amounts) AS a(lot_id, points);
    acc.available := acc.available - p_points;
    acc.reserved := acc.reserved + p_points;
    IF p_capture THEN
        -- Under the lock: the points leave for the accounting system in the order the account saw them.
        INSERT INTO oscar_loyalty_journalentry ({JOURNAL_COLUMNS.format(link="reservation_id")})
        VALUES (acc.id, 'redemption', -p_points, 0, 0, -p_points, 0,
                reservation.id, p_order, p_key || ':capture', '', NULL, '', '', p_now);
        acc.reserved := acc.reserved - p_points;
    END IF;
    PERFORM oscar_loyalty_save_balances(acc, p_now);
    replayed := false;
END;
$$ LANGUAGE plpgsql;
"""

CAPTURE = f"""
CREATE OR REPLACE FUNCTION oscar_loyalty_capture(
    p_reservation bigint, p_now timestamptz,
    OUT replayed boolean, OUT reservation oscar_loyalty_reservation
) AS $$
DECLARE
    held oscar_loyalty_reservation;
    entry bigint;
    claimed boolean;
BEGIN
    SELECT * INTO held FROM oscar_loyalty_reservation WHERE id = p_reservation;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such reservation' USING ERRCODE = 'LY005';
    END IF;
    IF held.status = 'captured' THEN
        replayed := true;
        reservation := held;
        RETURN;
    ELSIF held.status <> 'held' THEN
        RAISE EXCEPTION 'reservation released' USING ERRCODE = 'LY006';
    END IF;
    -- The entry depends on the reservation only. A concurrent capture of the same reservation
    -- waits here on the entry's key, and replays.
    INSERT INTO oscar_loyalty_journalentry ({JOURNAL_COLUMNS.format(link="reservation_id")})
    VALUES (held.account_id, 'redemption', -held.points, 0, 0, -held.points, 0,
            held.id, held.order_number, held.key || ':capture', '', NULL, '', '', p_now)
    ON CONFLICT (key) DO NOTHING
    RETURNING id INTO entry;
    PERFORM 1 FROM oscar_loyalty_account WHERE id = held.account_id FOR NO KEY UPDATE;
    -- Under the account's lock: claim the reservation if it is still held.
    UPDATE oscar_loyalty_reservation SET status = 'captured', captured_at = p_now
    WHERE id = p_reservation AND status = 'held'
    RETURNING * INTO reservation;
    claimed := FOUND;
    IF NOT claimed THEN
        SELECT * INTO reservation FROM oscar_loyalty_reservation WHERE id = p_reservation;
        IF reservation.status <> 'captured' THEN
            RAISE EXCEPTION 'reservation released' USING ERRCODE = 'LY006';
        END IF;
        IF entry IS NULL THEN  -- captured meanwhile by a call that wrote the entry
            replayed := true;
            RETURN;
        END IF;
    END IF;
    IF entry IS NULL OR NOT claimed THEN  -- the capture's key belongs to another operation
        RAISE EXCEPTION 'the key % is taken', held.key || ':capture' USING ERRCODE = 'unique_violation';
    END IF;
    UPDATE oscar_loyalty_account SET reserved = reserved - reservation.points, updated_at = p_now
    WHERE id = held.account_id;
    replayed := false;
END;
$$ LANGUAGE plpgsql;
"""

REFUSALS = " OR ".join(f"SQLSTATE 'LY00{n}'" for n in (1, 2, 3, 4, 5, 6, 8, 9))
ACCRUE_PARAMS = (
    "p_user bigint, p_points bigint, p_key text, p_fingerprint text, p_reason text, p_order text, p_line text, "
    "p_origin text, p_available_at timestamptz, p_expires_at timestamptz, p_actor bigint, p_actor_name text, "
    "p_now timestamptz"
)
ACCRUE_CALL = (
    "p_user, p_points, p_key, p_fingerprint, p_reason, p_order, p_line, p_origin, p_available_at, p_expires_at, "
    "p_actor, p_actor_name, p_now"
)
ACCRUE_GUARDED = ledger_functions.guarded(
    "oscar_loyalty_accrue",
    f"{ACCRUE_PARAMS}, p_lock_first boolean",
    f"{ACCRUE_CALL}, p_lock_first",
    "lot oscar_loyalty_lot",
).replace(ledger_functions.REFUSALS, REFUSALS)
OLD_ACCRUE = (
    "oscar_loyalty_accrue_guarded(bigint, bigint, text, text, text, text, text, text, timestamptz, timestamptz, "
    "bigint, text, timestamptz)",
    "oscar_loyalty_accrue(bigint, bigint, text, text, text, text, text, text, timestamptz, timestamptz, bigint, "
    "text, timestamptz)",
)
NEW_ACCRUE = tuple(signature.replace("timestamptz)", "timestamptz, boolean)") for signature in OLD_ACCRUE)


def short_hold(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for signature in OLD_ACCRUE:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {signature}", params=None)
    for function in (ACCRUE, ACCRUE_GUARDED, SPEND, CAPTURE):
        schema_editor.execute(function, params=None)


def lock_first(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for signature in NEW_ACCRUE:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {signature}", params=None)
    spend, _guarded = campaigns.spend_functions(True)
    for function in (ledger_functions.ACCRUE, ledger_functions.ACCRUE_GUARDED, spend, ledger_functions.CAPTURE):
        schema_editor.execute(function, params=None)


class Migration(migrations.Migration):
    dependencies = [("oscar_loyalty", "0027_account_month_covering_unique")]

    operations = [migrations.RunPython(short_hold, lock_first)]
