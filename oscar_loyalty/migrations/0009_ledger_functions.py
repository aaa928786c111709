"""On PostgreSQL, the ledger's hot operations as database functions: one round trip each.

``accrue``, ``reserve``/``redeem`` and ``capture`` do exactly what their
Python versions in ``oscar_loyalty.ledger`` do (lock the account,
look up the idempotency key, settle due lots, write lots, reservations,
allocations, journal entries and the cached balances), but inside the server,
so an operation costs one statement instead of six to nine. The Python side
(``oscar_loyalty.ledger.database``) validates the arguments and computes the
key's fingerprint before it calls them, and turns their refusals into the
ledger's exceptions.

Refusals are raised with SQLSTATEs of class ``LY`` so the statement, and
with it everything the function wrote, is rolled back. Inside the caller's
transaction the Python side calls the ``_guarded`` variant instead, which
catches a refusal in an exception block (rolling back what the operation
wrote) and returns its SQLSTATE in ``refusal`` (its DETAIL in
``refusal_detail``): the caller's transaction stays usable without a
savepoint round trip of its own. Autocommit calls skip that block, which
costs a subtransaction per call.

- ``LY001`` the customer has no account yet (the caller creates it, then calls again);
- ``LY002`` the key was used for a different operation;
- ``LY003`` the account is blocked;
- ``LY004`` not enough available points (DETAIL: the available points);
- ``LY005`` no such reservation;
- ``LY006`` the reservation was released;
- ``LY007`` the lots hold fewer points than the account says: a broken
  invariant, not a refusal; never caught.

Every statement inside a function takes a fresh snapshot (READ COMMITTED), so
the key is looked up *after* the account lock is granted: a call that waited
for a concurrent call with the same key finds that call's entry and replays it.
"""

from django.db import migrations

SETTLE = """
CREATE OR REPLACE FUNCTION oscar_loyalty_settle(acc oscar_loyalty_account, p_now timestamptz)
RETURNS oscar_loyalty_account AS $$
DECLARE
    r record;
BEGIN
    IF acc.next_event_at IS NULL OR acc.next_event_at > p_now THEN
        RETURN acc;
    END IF;
    FOR r IN
        SELECT id, status, remaining, available_at, expires_at, order_number
        FROM oscar_loyalty_lot
        WHERE account_id = acc.id AND status IN ('pending', 'active')
          AND ((status = 'pending' AND available_at <= p_now) OR expires_at <= p_now)
        ORDER BY id
    LOOP
        IF r.status = 'pending' AND r.available_at <= p_now THEN
            IF r.remaining > 0 THEN
                INSERT INTO oscar_loyalty_journalentry
                    (account_id, kind, points, available_change, pending_change, reserved_change, debt_change,
                     lot_id, order_number, key, fingerprint, actor_name, reason, created_at)
                VALUES (acc.id, 'activation', 0, r.remaining, -r.remaining, 0, 0,
                        r.id, r.order_number, 'activate:' || r.id, '', '', '', r.available_at);
            END IF;
            acc.pending := acc.pending - r.remaining;
            acc.available := acc.available + r.remaining;
        END IF;
        IF r.expires_at <= p_now THEN
            IF r.remaining > 0 THEN
                INSERT INTO oscar_loyalty_journalentry
                    (account_id, kind, points, available_change, pending_change, reserved_change, debt_change,
                     lot_id, order_number, key, fingerprint, actor_name, reason, created_at)
                VALUES (acc.id, 'expiry', -r.remaining, -r.remaining, 0, 0, 0,
                        r.id, r.order_number, 'expire:' || r.id, '', '', '', r.expires_at);
                acc.available := acc.available - r.remaining;
            END IF;
            UPDATE oscar_loyalty_lot
            SET status = 'expired', expired_points = expired_points + remaining, remaining = 0
            WHERE id = r.id;
        ELSE
            UPDATE oscar_loyalty_lot SET status = 'active' WHERE id = r.id;
        END IF;
    END LOOP;
    SELECT LEAST(MIN(available_at) FILTER (WHERE status = 'pending'), MIN(expires_at))
    INTO acc.next_event_at
    FROM oscar_loyalty_lot
    WHERE account_id = acc.id AND status IN ('pending', 'active') AND remaining > 0;
    RETURN acc;
END;
$$ LANGUAGE plpgsql;
"""

SAVE = """
CREATE OR REPLACE FUNCTION oscar_loyalty_save_balances(acc oscar_loyalty_account, p_now timestamptz)
RETURNS void AS $$
    UPDATE oscar_loyalty_account
    SET available = acc.available, pending = acc.pending, reserved = acc.reserved, debt = acc.debt,
        next_event_at = acc.next_event_at, updated_at = p_now
    WHERE id = acc.id;
$$ LANGUAGE sql;
"""

ACCRUE = """
CREATE OR REPLACE FUNCTION oscar_loyalty_accrue(
    p_user bigint, p_points bigint, p_key text, p_fingerprint text, p_reason text,
    p_order text, p_line text, p_origin text, p_available_at timestamptz, p_expires_at timestamptz,
    p_actor bigint, p_actor_name text, p_now timestamptz,
    OUT replayed boolean, OUT lot oscar_loyalty_lot
) AS $$
DECLARE
    acc oscar_loyalty_account;
    earlier record;
    paid_off bigint;
    remaining bigint;
    is_pending boolean;
BEGIN
    SELECT * INTO acc FROM oscar_loyalty_account WHERE user_id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no account' USING ERRCODE = 'LY001';
    END IF;
    SELECT fingerprint, lot_id INTO earlier FROM oscar_loyalty_journalentry WHERE key = p_key;
    IF FOUND THEN
        IF earlier.fingerprint <> p_fingerprint THEN
            RAISE EXCEPTION 'idempotency conflict' USING ERRCODE = 'LY002';
        END IF;
        replayed := true;
        SELECT * INTO lot FROM oscar_loyalty_lot WHERE id = earlier.lot_id;
        RETURN;
    END IF;
    IF acc.status = 'blocked' THEN
        RAISE EXCEPTION 'account blocked' USING ERRCODE = 'LY003';
    END IF;
    acc := oscar_loyalty_settle(acc, p_now);

    paid_off := LEAST(acc.debt, p_points);
    acc.debt := acc.debt - paid_off;
    remaining := p_points - paid_off;
    is_pending := p_available_at > p_now;
    IF is_pending THEN
        acc.pending := acc.pending + remaining;
    ELSE
        acc.available := acc.available + remaining;
    END IF;
    IF remaining > 0 THEN
        acc.next_event_at := LEAST(acc.next_event_at, CASE WHEN is_pending THEN p_available_at ELSE p_expires_at END);
    END IF;
    INSERT INTO oscar_loyalty_lot
        (account_id, points, remaining, reversed_points, expired_points, status, available_at, expires_at,
         origin, order_number, order_line, parent_id, created_at)
    VALUES (acc.id, p_points, remaining, 0, 0, CASE WHEN is_pending THEN 'pending' ELSE 'active' END,
            p_available_at, p_expires_at, p_origin, p_order, p_line, NULL, p_now)
    RETURNING * INTO lot;
    INSERT INTO oscar_loyalty_journalentry
        (account_id, kind, points, available_change, pending_change, reserved_change, debt_change,
         lot_id, order_number, key, fingerprint, actor_id, actor_name, reason, created_at)
    VALUES (acc.id, 'accrual', p_points,
            CASE WHEN is_pending THEN 0 ELSE remaining END, CASE WHEN is_pending THEN remaining ELSE 0 END,
            0, -paid_off, lot.id, p_order, p_key, p_fingerprint, p_actor, p_actor_name, p_reason, p_now);
    PERFORM oscar_loyalty_save_balances(acc, p_now);
    replayed := false;
END;
$$ LANGUAGE plpgsql;
"""

SPEND = """
CREATE OR REPLACE FUNCTION oscar_loyalty_spend(
    p_user bigint, p_points bigint, p_key text, p_fingerprint text, p_order text,
    p_capture boolean, p_expires_at timestamptz, p_now timestamptz,
    OUT replayed boolean, OUT reservation oscar_loyalty_reservation
) AS $$
DECLARE
    acc oscar_loyalty_account;
    earlier record;
    r record;
    needed bigint;
    take bigint;
    lot_ids bigint[] := '{}';
    amounts bigint[] := '{}';
BEGIN
    SELECT * INTO acc FROM oscar_loyalty_account WHERE user_id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no account' USING ERRCODE = 'LY001';
    END IF;
    SELECT fingerprint, reservation_id INTO earlier FROM oscar_loyalty_journalentry WHERE key = p_key;
    IF FOUND THEN
        IF earlier.fingerprint <> p_fingerprint THEN
            RAISE EXCEPTION 'idempotency conflict' USING ERRCODE = 'LY002';
        END IF;
        replayed := true;
        SELECT * INTO reservation FROM oscar_loyalty_reservation WHERE id = earlier.reservation_id;
        RETURN;
    END IF;
    IF acc.status = 'blocked' THEN
        RAISE EXCEPTION 'account blocked' USING ERRCODE = 'LY003';
    END IF;
    acc := oscar_loyalty_settle(acc, p_now);
    IF p_points > acc.available THEN
        RAISE EXCEPTION 'insufficient points' USING ERRCODE = 'LY004', DETAIL = acc.available::text;
    END IF;

    -- The lots that expire soonest give first.
    needed := p_points;
    FOR r IN
        SELECT id, remaining FROM oscar_loyalty_lot
        WHERE account_id = acc.id AND status = 'active' AND remaining > 0 AND expires_at > p_now
        ORDER BY expires_at, id
    LOOP
        take := LEAST(r.remaining, needed);
        UPDATE oscar_loyalty_lot SET remaining = remaining - take WHERE id = r.id;
        lot_ids := lot_ids || r.id;
        amounts := amounts || take;
        needed := needed - take;
        EXIT WHEN needed = 0;
    END LOOP;
    IF needed > 0 THEN
        RAISE EXCEPTION 'the lots hold fewer points than the account says' USING ERRCODE = 'LY007';
    END IF;

    INSERT INTO oscar_loyalty_reservation
        (account_id, points, order_number, key, status, created_at, expires_at, captured_at, released_at)
    VALUES (acc.id, p_points, p_order, p_key, CASE WHEN p_capture THEN 'captured' ELSE 'held' END,
            p_now, p_expires_at, CASE WHEN p_capture THEN p_now END, NULL)
    RETURNING * INTO reservation;
    INSERT INTO oscar_loyalty_allocation (reservation_id, lot_id, points, restored_points)
    SELECT reservation.id, a.lot_id, a.points, 0 FROM unnest(lot_ids, amounts) AS a(lot_id, points);
    INSERT INTO oscar_loyalty_journalentry
        (account_id, kind, points, available_change, pending_change, reserved_change, debt_change,
         reservation_id, order_number, key, fingerprint, actor_name, reason, created_at)
    VALUES (acc.id, 'reservation', 0, -p_points, 0, p_points, 0,
            reservation.id, p_order, p_key, p_fingerprint, '', '', p_now);
    acc.available := acc.available - p_points;
    acc.reserved := acc.reserved + p_points;
    IF p_capture THEN
        INSERT INTO oscar_loyalty_journalentry
            (account_id, kind, points, available_change, pending_change, reserved_change, debt_change,
             reservation_id, order_number, key, fingerprint, actor_name, reason, created_at)
        VALUES (acc.id, 'redemption', -p_points, 0, 0, -p_points, 0,
                reservation.id, p_order, p_key || ':capture', '', '', '', p_now);
        acc.reserved := acc.reserved - p_points;
    END IF;
    PERFORM oscar_loyalty_save_balances(acc, p_now);
    replayed := false;
END;
$$ LANGUAGE plpgsql;
"""

CAPTURE = """
CREATE OR REPLACE FUNCTION oscar_loyalty_capture(
    p_reservation bigint, p_now timestamptz,
    OUT replayed boolean, OUT reservation oscar_loyalty_reservation
) AS $$
DECLARE
    owner bigint;
BEGIN
    SELECT account_id INTO owner FROM oscar_loyalty_reservation WHERE id = p_reservation;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no such reservation' USING ERRCODE = 'LY005';
    END IF;
    PERFORM 1 FROM oscar_loyalty_account WHERE id = owner FOR UPDATE;
    -- Under the account's lock: claim the reservation if it is still held.
    UPDATE oscar_loyalty_reservation SET status = 'captured', captured_at = p_now
    WHERE id = p_reservation AND status = 'held'
    RETURNING * INTO reservation;
    IF NOT FOUND THEN
        SELECT * INTO reservation FROM oscar_loyalty_reservation WHERE id = p_reservation;
        IF reservation.status = 'captured' THEN
            replayed := true;
            RETURN;
        END IF;
        RAISE EXCEPTION 'reservation released' USING ERRCODE = 'LY006';
    END IF;
    INSERT INTO oscar_loyalty_journalentry
        (account_id, kind, points, available_change, pending_change, reserved_change, debt_change,
         reservation_id, order_number, key, fingerprint, actor_name, reason, created_at)
    VALUES (owner, 'redemption', -reservation.points, 0, 0, -reservation.points, 0,
            reservation.id, reservation.order_number, reservation.key || ':capture', '', '', '', p_now);
    UPDATE oscar_loyalty_account SET reserved = reserved - reservation.points, updated_at = p_now WHERE id = owner;
    replayed := false;
END;
$$ LANGUAGE plpgsql;
"""

REFUSALS = " OR ".join(f"SQLSTATE 'LY00{n}'" for n in range(1, 7))


def guarded(name, params, call, result):
    """``{name}_guarded``: ``{name}`` with its refusals returned rather than raised."""
    return f"""
CREATE OR REPLACE FUNCTION {name}_guarded(
    {params},
    OUT refusal text, OUT refusal_detail text, OUT replayed boolean, OUT {result}
) AS $$
DECLARE
    done record;
BEGIN
    done := {name}({call});
    replayed := done.replayed;
    {result.split()[0]} := done.{result.split()[0]};
EXCEPTION WHEN {REFUSALS} THEN
    GET STACKED DIAGNOSTICS refusal = RETURNED_SQLSTATE, refusal_detail = PG_EXCEPTION_DETAIL;
END;
$$ LANGUAGE plpgsql;
"""


ACCRUE_GUARDED = guarded(
    "oscar_loyalty_accrue",
    "p_user bigint, p_points bigint, p_key text, p_fingerprint text, p_reason text, p_order text, p_line text, "
    "p_origin text, p_available_at timestamptz, p_expires_at timestamptz, p_actor bigint, p_actor_name text, "
    "p_now timestamptz",
    "p_user, p_points, p_key, p_fingerprint, p_reason, p_order, p_line, p_origin, p_available_at, p_expires_at, "
    "p_actor, p_actor_name, p_now",
    "lot oscar_loyalty_lot",
)
SPEND_GUARDED = guarded(
    "oscar_loyalty_spend",
    "p_user bigint, p_points bigint, p_key text, p_fingerprint text, p_order text, p_capture boolean, "
    "p_expires_at timestamptz, p_now timestamptz",
    "p_user, p_points, p_key, p_fingerprint, p_order, p_capture, p_expires_at, p_now",
    "reservation oscar_loyalty_reservation",
)
CAPTURE_GUARDED = guarded(
    "oscar_loyalty_capture",
    "p_reservation bigint, p_now timestamptz",
    "p_reservation, p_now",
    "reservation oscar_loyalty_reservation",
)

FUNCTIONS = (SETTLE, SAVE, ACCRUE, SPEND, CAPTURE, ACCRUE_GUARDED, SPEND_GUARDED, CAPTURE_GUARDED)
SIGNATURES = (
    "oscar_loyalty_capture_guarded(bigint, timestamptz)",
    "oscar_loyalty_spend_guarded(bigint, bigint, text, text, text, boolean, timestamptz, timestamptz)",
    "oscar_loyalty_accrue_guarded(bigint, bigint, text, text, text, text, text, text, timestamptz, timestamptz, "
    "bigint, text, timestamptz)",
    "oscar_loyalty_capture(bigint, timestamptz)",
    "oscar_loyalty_spend(bigint, bigint, text, text, text, boolean, timestamptz, timestamptz)",
    "oscar_loyalty_accrue(bigint, bigint, text, text, text, text, text, text, timestamptz, timestamptz, bigint, "
    "text, timestamptz)",
    "oscar_loyalty_save_balances(oscar_loyalty_account, timestamptz)",
    "oscar_loyalty_settle(oscar_loyalty_account, timestamptz)",
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for function in FUNCTIONS:
        schema_editor.execute(function, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for signature in SIGNATURES:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {signature}", params=None)


class Migration(migrations.Migration):
    dependencies = [("oscar_loyalty", "0008_dashboard_permissions")]

    operations = [migrations.RunPython(forwards, backwards)]
