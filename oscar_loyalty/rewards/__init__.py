"""The rewards catalogue: exchanging points for prizes, vouchers and extended warranties.

``oscar_loyalty.rewards.services`` is the public API; views and the dashboard call it.
"""
