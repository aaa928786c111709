"""The reference accounting system's books: its own SQLite file, nothing shared with the shop.

A customer's balance is the sum of the movements the shop pushed and the
corrections the accountants made here. A movement key is applied once.
"""

import sqlite3
import threading
from contextlib import contextmanager
from datetime import UTC, datetime

# How the accounting system reads the shop's movements per order (see GetOrderBonuses).
PAID_KINDS = ("redemption", "restoration", "release")
ACCRUED_KINDS = ("accrual", "reversal")

SCHEMA = """
CREATE TABLE IF NOT EXISTS movement (
    key TEXT PRIMARY KEY,
    customer TEXT NOT NULL,
    card TEXT NOT NULL DEFAULT '',
    points INTEGER NOT NULL,
    kind TEXT NOT NULL,
    order_no TEXT NOT NULL DEFAULT '',
    date TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS movement_customer ON movement (customer);
CREATE INDEX IF NOT EXISTS movement_order ON movement (order_no);
CREATE TABLE IF NOT EXISTS correction (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer TEXT NOT NULL,
    points INTEGER NOT NULL,
    reason TEXT NOT NULL,
    accountant TEXT NOT NULL,
    date TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS status (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer TEXT NOT NULL,
    tier TEXT NOT NULL,
    until TEXT,
    reason TEXT NOT NULL,
    accountant TEXT NOT NULL,
    date TEXT NOT NULL
);
"""


def _now():
    return datetime.now(UTC).isoformat()


class Store:
    def __init__(self, path):
        self.path = str(path)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self):
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def _write(self):
        with self._lock, self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # --- Movements from the shop ---

    def apply_movements(self, movements, *, reject=None):
        """Apply movements in order; returns (key, status, message) for each.

        ``reject`` maps keys to the reason this accounting system refuses them;
        after a refusal the rest of the batch is skipped, so a customer's later
        movements never overtake an earlier one.
        """
        reject = reject or {}
        results = []
        with self._write() as db:
            refused = False
            for m in movements:
                if refused:
                    results.append((m["key"], "skipped", "an earlier movement was rejected"))
                    continue
                if db.execute("SELECT 1 FROM movement WHERE key = ?", (m["key"],)).fetchone():
                    results.append((m["key"], "duplicate", ""))
                    continue
                if m["key"] in reject:
                    refused = True
                    results.append((m["key"], "rejected", reject[m["key"]]))
                    continue
                db.execute(
                    "INSERT INTO movement (key, customer, card, points, kind, order_no, date, received_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (m["key"], m["customer"], m["card"], m["points"], m["kind"], m["order"], m["date"], _now()),
                )
                results.append((m["key"], "applied", ""))
        return results

    def movement_count(self, key=None):
        with self._connect() as db:
            if key is None:
                return db.execute("SELECT COUNT(*) FROM movement").fetchone()[0]
            return db.execute("SELECT COUNT(*) FROM movement WHERE key = ?", (key,)).fetchone()[0]

    def movements(self, customer=None):
        with self._connect() as db:
            sql = "SELECT * FROM movement"
            rows = (
                db.execute(sql + " WHERE customer = ? ORDER BY rowid", (customer,))
                if customer
                else db.execute(sql + " ORDER BY rowid")
            )
            return [dict(row) for row in rows]

    # --- Balances ---

    def balances(self, customers=()):
        """{customer: points}; every known customer if none are named."""
        sql = (
            "SELECT customer, SUM(points) AS points FROM ("
            "SELECT customer, points FROM movement UNION ALL SELECT customer, points FROM correction) "
            "{where} GROUP BY customer ORDER BY customer"
        )
        with self._connect() as db:
            if customers:
                marks = ",".join("?" * len(customers))
                rows = db.execute(sql.format(where=f"WHERE customer IN ({marks})"), list(customers))
            else:
                rows = db.execute(sql.format(where=""))
            return {row["customer"]: row["points"] for row in rows}

    def order_bonuses(self, orders=()):
        """{order: (customer, paid, accrued)}; every order with movements if none are named."""
        paid = ",".join(f"'{k}'" for k in PAID_KINDS)
        accrued = ",".join(f"'{k}'" for k in ACCRUED_KINDS)
        sql = (
            f"SELECT order_no, MIN(customer) AS customer, "
            f"-COALESCE(SUM(CASE WHEN kind IN ({paid}) THEN points END), 0) AS paid, "
            f"COALESCE(SUM(CASE WHEN kind IN ({accrued}) THEN points END), 0) AS accrued "
            f"FROM movement WHERE order_no != '' {{where}} GROUP BY order_no ORDER BY order_no"
        )
        with self._connect() as db:
            if orders:
                marks = ",".join("?" * len(orders))
                rows = db.execute(sql.format(where=f"AND order_no IN ({marks})"), list(orders))
            else:
                rows = db.execute(sql.format(where=""))
            return {row["order_no"]: (row["customer"], row["paid"], row["accrued"]) for row in rows}

    # --- What the accountants do here ---

    def add_correction(self, customer, points, *, reason, accountant="Accountant", date=None):
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO correction (customer, points, reason, accountant, date) VALUES (?, ?, ?, ?, ?)",
                (str(customer), int(points), reason, accountant, date or _now()),
            )
            return cursor.lastrowid

    def add_status(self, customer, tier, *, reason, accountant="Accountant", until=None, date=None):
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO status (customer, tier, until, reason, accountant, date) VALUES (?, ?, ?, ?, ?, ?)",
                (str(customer), tier, until.isoformat() if until else None, reason, accountant, date or _now()),
            )
            return cursor.lastrowid

    def corrections_after(self, cursor, limit):
        with self._connect() as db:
            return [
                dict(row)
                for row in db.execute(
                    "SELECT * FROM correction WHERE id > ? ORDER BY id LIMIT ?", (_position(cursor), limit)
                )
            ]

    def statuses_after(self, cursor, limit):
        with self._connect() as db:
            return [
                dict(row)
                for row in db.execute(
                    "SELECT * FROM status WHERE id > ? ORDER BY id LIMIT ?", (_position(cursor), limit)
                )
            ]


def _position(cursor):
    if not cursor:
        return 0
    if not str(cursor).isdigit():
        raise ValueError(f"unknown cursor {cursor!r}")
    return int(cursor)
