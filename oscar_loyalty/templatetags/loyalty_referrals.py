"""The bonus page's "Invite a friend" panel reads the customer's code and birthday through this tag."""

from django import template

from oscar_loyalty.referrals import services
from oscar_loyalty.segments import services as segments

register = template.Library()


@register.simple_tag
def referral_panel(user):
    """{code, birthday} of a signed-in customer (the code is created on first use); empty for anyone else."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    return {"code": services.code_for(user).code, "birthday": segments.birthday_of(user)}
