"""The point name that goes with a number, by each language's plural rules."""

import pytest
from django.utils import translation

from wagtail_pages.texts import PointNames, ProgramTexts, default_texts

RUSSIAN = PointNames("ru", "бонус", "бонуса", "бонусов")
ENGLISH = PointNames("en", "bonus", "", "bonuses")


@pytest.mark.parametrize(
    ("names", "count", "expected"),
    [
        (RUSSIAN, 0, "бонусов"),
        (RUSSIAN, 1, "бонус"),
        (RUSSIAN, 2, "бонуса"),
        (RUSSIAN, 4, "бонуса"),
        (RUSSIAN, 5, "бонусов"),
        (RUSSIAN, 11, "бонусов"),
        (RUSSIAN, 12, "бонусов"),
        (RUSSIAN, 21, "бонус"),
        (RUSSIAN, 22, "бонуса"),
        (RUSSIAN, 111, "бонусов"),
        (RUSSIAN, 305, "бонусов"),
        (ENGLISH, 0, "bonuses"),
        (ENGLISH, 1, "bonus"),
        (ENGLISH, 2, "bonuses"),
        (ENGLISH, 21, "bonuses"),
        # No "few" form given: the "many" one.
        (PointNames("ru", "балл", "", "баллов"), 3, "баллов"),
        # A language code Babel does not know: one, or many.
        (PointNames("xx", "point", "", "points"), 1, "point"),
        (PointNames("xx", "point", "", "points"), 3, "points"),
    ],
)
def test_the_name_follows_the_number(names, count, expected):
    assert names.for_count(count) == expected


def test_the_number_is_written_the_languages_way():
    texts = ProgramTexts(program_name="Вело Бонус", points=RUSSIAN)

    with translation.override("ru"):
        assert texts.points_text(1220) == "1\xa0220\xa0бонусов"
    with translation.override("en"):
        assert texts.points_text(1220) == "1,220\xa0бонусов"


def test_the_built_in_names_come_from_the_catalogs():
    with translation.override("ru"):
        names = default_texts("ru")
    assert (names.program_name, names.points.for_count(1), names.points.for_count(3), names.points.for_count(7)) == (
        "Программа лояльности",
        "бонус",
        "бонуса",
        "бонусов",
    )
