"""Earning: tiers, margin groups and the accrual of points for orders.

Sits above the ledger and calls its API; the ledger knows nothing of it.
"""
