"""Reading the bonus figures a page shows."""

import re

BONUS = re.compile(r'<p class="loyalty-bonus[^"]*"[^>]*>(.*?)</p>', re.S)
TAG = re.compile(r"<[^>]+>")


def shown_bonuses(page):
    """The text of every "+N bonuses" on the page (a response or HTML), in order."""
    html = page if isinstance(page, str) else page.content.decode()
    return [" ".join(TAG.sub("", match).split()) for match in BONUS.findall(html)]


def program_links(response):
    """The targets of the "up to N bonuses" links."""
    html = response.content.decode()
    return re.findall(r'<p class="loyalty-bonus loyalty-bonus-up-to[^"]*">\s*<a href="([^"]*)"', html)


def program_url():
    """Where "up to" figures link to by default: the program pages' landing page, or "My bonuses" without them."""
    from django.apps import apps
    from django.urls import reverse

    return "/loyalty/" if apps.is_installed("wagtail_pages") else reverse("loyalty:bonuses")
