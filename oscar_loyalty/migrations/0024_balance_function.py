"""On PostgreSQL, reading a balance is a database function too.

The read was one statement, planned at every call: on a checkout's or a
product page's balance, planning cost more than running it. Inside a
function the plan is kept for the session, and the account's lots are read
only when some may matter (points pending, or an event before the horizon),
which a lateral join asked of every lot instead. The rows are the ones the
statement gave: the account's figures, with one row per such lot, or one
row without.
"""

from django.db import migrations

BALANCE = """
CREATE OR REPLACE FUNCTION oscar_loyalty_balance(p_user bigint, p_horizon timestamptz)
RETURNS TABLE (
    available bigint, pending bigint, reserved bigint, debt bigint, status text,
    remaining bigint, lot_status text, available_at timestamptz, expires_at timestamptz
) AS $$
DECLARE
    acc record;
BEGIN
    SELECT a.id, a.available, a.pending, a.reserved, a.debt, a.status::text AS status, a.next_event_at
    INTO acc
    FROM oscar_loyalty_account AS a
    WHERE a.user_id = p_user;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF acc.pending > 0 OR acc.next_event_at <= p_horizon THEN
        RETURN QUERY
            SELECT acc.available, acc.pending, acc.reserved, acc.debt, acc.status,
                l.remaining, l.status::text, l.available_at, l.expires_at
            FROM oscar_loyalty_lot AS l
            WHERE l.account_id = acc.id AND l.status IN ('pending', 'active') AND l.remaining > 0
              AND (l.status = 'pending' OR l.expires_at <= p_horizon);
        IF FOUND THEN
            RETURN;
        END IF;
    END IF;
    RETURN QUERY
        SELECT acc.available, acc.pending, acc.reserved, acc.debt, acc.status,
            NULL::bigint, NULL::text, NULL::timestamptz, NULL::timestamptz;
END;
$$ LANGUAGE plpgsql STABLE;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BALANCE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS oscar_loyalty_balance(bigint, timestamptz)", params=None)


class Migration(migrations.Migration):
    dependencies = [("oscar_loyalty", "0023_reservation_plain_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
