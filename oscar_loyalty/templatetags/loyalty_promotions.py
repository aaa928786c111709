"""``{% load loyalty_promotions %}``, then ``{% secret_code_form %}`` on the basket page.

Shows the secret code entered in the signed-in customer's basket (with a
button to remove it), or the form to enter one.
"""

from django import template

from oscar_loyalty.checkout.promotions import services
from oscar_loyalty.checkout.promotions.forms import SecretCodeForm

register = template.Library()


@register.inclusion_tag("oscar_loyalty/secret_codes/basket_form.html", takes_context=True)
def secret_code_form(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    secret_code = None
    if user is not None and user.is_authenticated:
        secret_code = services.code_in_basket(getattr(request, "basket", None))
        if secret_code is not None and secret_code.state() != secret_code.ACTIVE:
            secret_code = None
    return {
        "user": user,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "loyalty_secret_code": secret_code,
        "loyalty_secret_code_form": SecretCodeForm(),
    }
