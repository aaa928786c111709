"""Event rules as staff set them up in the dashboard: fixed points per event."""

from tests.campaigns.helpers import make_rule


def event_rules(**points):
    """One active rule per event (``registration=100, referred=200, ...``), giving fixed points available at once."""
    return {
        event: make_rule(f"{event} bonus", basis="event", event=event, reward="fixed", value=value, hold_days=0)
        for event, value in points.items()
    }
