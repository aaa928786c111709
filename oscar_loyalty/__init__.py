"""Bonus points for django-oscar shops.

The ledger (accounts, lots, journal, reservations) lives in
``oscar_loyalty.ledger``; its public service API is re-exported there.
"""
