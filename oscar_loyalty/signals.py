"""Signals the ledger sends after the transaction that caused them commits.

Notifications and the ERP exchange listen to these; the ledger imports
neither.
"""

from django.dispatch import Signal

# lot
points_accrued = Signal()
# reservation
points_reserved = Signal()
points_captured = Signal()
points_released = Signal()
# entry
points_adjusted = Signal()
# result (ReversalResult)
order_reversed = Signal()
# count, now
lots_activated = Signal()
lots_expired = Signal()
reservations_released = Signal()
# change, user, old_tier, new_tier, upgrade (the tier in effect before and after)
tier_changed = Signal()
# order_number, user, lot (or None), points, channel (the sales channel the order earned in)
order_points_accrued = Signal()
