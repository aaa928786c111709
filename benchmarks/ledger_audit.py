"""The ledger throughput benchmark's audit: points spent against points credited, and ``check_accounts()``."""

from benchmarks.ledger_mix import OPENING_BALANCE


def audit(phase_accounts, phase_summaries, hot_user_id):
    """Points spent against points credited, per account and per lot, plus ``check_accounts()``.

    No reversals run here, so for every account ``credited − expired − spent
    = available + pending`` (spent: captured and held reservations), and for
    every lot ``remaining + allocated + expired = points``.
    """
    from django.db import connection
    from oscar.core.loading import get_model

    from oscar_loyalty import ledger

    Account = get_model("oscar_loyalty", "Account")
    Lot = get_model("oscar_loyalty", "Lot")
    Reservation = get_model("oscar_loyalty", "Reservation")
    Allocation = get_model("oscar_loyalty", "Allocation")
    q = connection.ops.quote_name
    account_t, lot_t = q(Account._meta.db_table), q(Lot._meta.db_table)
    reservation_t, allocation_t = q(Reservation._meta.db_table), q(Allocation._meta.db_table)

    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH credited AS (SELECT account_id, SUM(points) AS points, SUM(expired_points) AS expired "
            f"FROM {lot_t} GROUP BY account_id), "
            f"spent AS (SELECT account_id, SUM(points) AS points FROM {reservation_t} "
            f"WHERE status IN ('held', 'captured') GROUP BY account_id) "
            f"SELECT a.id, a.user_id, a.available, a.pending, a.reserved, a.debt, "
            f"COALESCE(c.points, 0), COALESCE(c.expired, 0), COALESCE(s.points, 0) "
            f"FROM {account_t} AS a LEFT JOIN credited AS c ON c.account_id = a.id "
            f"LEFT JOIN spent AS s ON s.account_id = a.id"
        )
        accounts = cursor.fetchall()
        cursor.execute(
            f"SELECT l.points, l.remaining, l.expired_points, "
            f"COALESCE(SUM(al.points) FILTER (WHERE r.status IN ('held', 'captured')), 0) "
            f"FROM {lot_t} AS l LEFT JOIN {allocation_t} AS al ON al.lot_id = l.id "
            f"LEFT JOIN {reservation_t} AS r ON r.id = al.reservation_id GROUP BY l.id"
        )
        lots = cursor.fetchall()

    overspent_accounts = overdrawn_lots = mismatched_accounts = mismatched_lots = negative = 0
    by_user = {}
    for _id, user_id, *amounts in accounts:
        available, pending, reserved, debt, credited, expired, spent = map(int, amounts)
        by_user[user_id] = (available, pending, reserved, credited, expired, spent)
        overspent_accounts += max(0, spent - (credited - expired))
        mismatched_accounts += credited - expired - spent != available + pending
        negative += min(available, pending, reserved, debt) < 0
    for points, remaining, expired, allocated in ((int(value) for value in row) for row in lots):
        overdrawn_lots += max(0, allocated - points)
        mismatched_lots += remaining + allocated + expired != points

    # What the workers say they did against what the database holds, phase by phase.
    unreconciled = {}
    for phase, user_ids in phase_accounts.items():
        summary = phase_summaries[phase]
        rows = [by_user[user_id] for user_id in user_ids]
        credited = sum(row[3] for row in rows) - OPENING_BALANCE * len(user_ids)
        spent = sum(row[5] for row in rows)
        unreconciled[phase] = {
            "credited": credited - summary["accrued_points"],
            "spent": spent - summary["captured_points"] - summary["held_points"],
        }

    available, pending, reserved, credited, expired, spent = by_user[hot_user_id]
    drifts = ledger.check_accounts()
    return {
        "overspent": overspent_accounts + overdrawn_lots,
        "overspent_accounts_points": overspent_accounts,
        "overdrawn_lots_points": overdrawn_lots,
        "mismatched_accounts": mismatched_accounts,
        "mismatched_lots": mismatched_lots,
        "negative_buckets": negative,
        "drifts": len(drifts),
        "drift_examples": [str(drift) for drift in drifts[:3]],
        "unreconciled": unreconciled,
        "hot": {
            "credited": credited,
            "spent": spent,
            "expired": expired,
            "balance": available + pending,
            "reserved": reserved,
            "consistent": credited - expired - spent == available + pending,
        },
    }
