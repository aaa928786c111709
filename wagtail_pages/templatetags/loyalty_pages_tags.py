"""``{% load loyalty_pages_tags %}``: the program's texts in page templates."""

from django import template

register = template.Library()


@register.filter
def points_in(count, program):
    """``{{ 305|points_in:program }}`` → "305 bonuses", with the point name the program's texts give."""
    return program.points_text(count)
