"""Act as the accountant of the reference accounting system, or serve it on its own.

    python -m sandbox.erp_service serve [--port 8001]
    python -m sandbox.erp_service correct CUSTOMER POINTS "reason" [--accountant NAME]
    python -m sandbox.erp_service status CUSTOMER TIER "reason" [--days N]
    python -m sandbox.erp_service balances

The books are ``sandbox/erp_service.sqlite3`` unless ``ERP_SERVICE_DB_PATH`` says otherwise.
"""

import argparse
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from wsgiref.simple_server import make_server

from sandbox.erp_service.service import LoyaltyService
from sandbox.erp_service.store import Store

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "erp_service.sqlite3"


def main():
    parser = argparse.ArgumentParser(prog="python -m sandbox.erp_service")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve")
    serve.add_argument("--port", type=int, default=8001)
    correct = commands.add_parser("correct")
    correct.add_argument("customer")
    correct.add_argument("points", type=int)
    correct.add_argument("reason")
    correct.add_argument("--accountant", default="Accountant")
    status = commands.add_parser("status")
    status.add_argument("customer")
    status.add_argument("tier", help="a tier code, or '' to remove the pin")
    status.add_argument("reason")
    status.add_argument("--days", type=int, default=None)
    status.add_argument("--accountant", default="Accountant")
    commands.add_parser("balances")
    args = parser.parse_args()
    path = os.environ.get("ERP_SERVICE_DB_PATH", DEFAULT_PATH)
    if args.command == "serve":
        app = LoyaltyService(
            path,
            username=os.environ.get("ERP_SERVICE_USERNAME", "erp"),
            password=os.environ.get("ERP_SERVICE_PASSWORD", "erp"),
        )
        print(f"Serving the loyalty web service on http://127.0.0.1:{args.port}/ws/loyalty.1cws")
        make_server("127.0.0.1", args.port, app).serve_forever()
    store = Store(path)
    if args.command == "correct":
        print(store.add_correction(args.customer, args.points, reason=args.reason, accountant=args.accountant))
    elif args.command == "status":
        until = datetime.now(UTC) + timedelta(days=args.days) if args.days else None
        print(store.add_status(args.customer, args.tier, reason=args.reason, accountant=args.accountant, until=until))
    else:
        for customer, points in store.balances().items():
            print(f"{customer}\t{points}")


if __name__ == "__main__":
    main()
