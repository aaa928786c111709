"""Who a ledger operation is for, and who did it: the names copied onto its records."""

from oscar_loyalty.ledger.exceptions import UnknownCustomer


def user_id_of(user):
    """The primary key of a customer given as a user or a user id; unknown ones are refused."""
    if isinstance(user, bool) or user is None:
        raise UnknownCustomer()
    if isinstance(user, int):
        return user
    user_id = getattr(user, "pk", None)
    if user_id is None:
        raise UnknownCustomer()
    return user_id


def actor_of(actor):
    """(user or None, name): the name is copied so the trail survives the user's deletion."""
    if actor is None:
        return None, ""
    if isinstance(actor, str):
        return None, clip(actor)
    return actor, clip(display_name(actor))


def display_name(user):
    """How a person is named on ledger records: full name and e-mail, or what there is."""
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    email = getattr(user, "email", "") or ""
    if full_name and email:
        return clip(f"{full_name} <{email}>")
    return clip(full_name or email or user.get_username())


def clip(text):
    """Text cut to the 255 characters a record's name and reason columns hold."""
    return str(text or "")[:255]
