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
