"""The bonus page's "Invite a friend" panel and the dashboard's account page read codes and birthdays here."""

from django import template
from oscar.core.loading import get_model

from oscar_loyalty.referrals import services
from oscar_loyalty.segments import services as segments

CustomerBirthday = get_model("oscar_loyalty", "CustomerBirthday")

register = template.Library()


@register.simple_tag
def referral_panel(user):
    """{code, birthday} of a signed-in customer (the code is created on first use); empty for anyone else."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {}
    return {"code": services.code_for(user).code, "birthday": segments.birthday_of(user)}


@register.simple_tag
def customer_birthday(user):
    """The customer's ``CustomerBirthday`` record, or None (the dashboard's account page)."""
    if user is None:
        return None
    return CustomerBirthday.objects.filter(user=user).first()
