"""The dashboard's campaign rule builder lays its form out in sections of named fields."""

from django import template

register = template.Library()


@register.filter
def fields_named(form, names):
    """The bound fields of ``form`` named in the space-separated ``names``, in that order (unknown names skipped)."""
    return [form[name] for name in names.split() if name in form.fields]
