"""Program-wide texts (program name, the name of a point) for the pages, in the page's language."""

from dataclasses import dataclass

from babel import Locale as BabelLocale
from babel.core import UnknownLocaleError
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext


@dataclass(frozen=True)
class PointNames:
    """How a language names a number of points: "1 bonus", "2 бонуса", "5 бонусов".

    ``few`` is for languages that have such a form (Russian, Ukrainian,
    Polish...); empty, ``many`` is used instead.
    """

    language: str
    one: str
    few: str
    many: str

    def for_count(self, count):
        """The name that goes with ``count`` points, by the language's plural rules (CLDR)."""
        try:
            form = BabelLocale.parse(self.language.replace("-", "_")).plural_form(abs(int(count)))
        except (ValueError, UnknownLocaleError):
            form = "one" if abs(int(count)) == 1 else "other"
        if form == "one":
            return self.one
        if form == "few" and self.few:
            return self.few
        return self.many


@dataclass(frozen=True)
class ProgramTexts:
    """What the pages call the program and its points."""

    program_name: str
    points: PointNames

    def points_text(self, count):
        """The number as the active language writes it, then the name that goes with it: "305 bonuses"."""
        return f"{number_format(count, force_grouping=True)}\u00a0{self.points.for_count(count)}"


def default_texts(language):
    """The built-in texts, from the translation catalogs, when the shop has not written its own."""
    return ProgramTexts(
        program_name=gettext("Loyalty program"),
        points=PointNames(
            language=language,
            one=ngettext("bonus", "bonuses", 1),
            # The catalogs' plural forms give "few" and "many" for languages that have them.
            few=ngettext("bonus", "bonuses", 2),
            many=ngettext("bonus", "bonuses", 5),
        ),
    )
