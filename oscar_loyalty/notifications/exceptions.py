"""The notifications' exceptions; importable before Django's apps are loaded (tasks need them)."""


class TransientDeliveryError(Exception):
    """A delivery failed in a way that trying again later may fix; the task retries it."""
