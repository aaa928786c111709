"""The README's install checklist and the bare shop in tests/bare_shop/ say the same.

The bare shop itself runs from the built wheel in a fresh virtualenv
(``make test-bare-shop``, in CI); this pins, on every run of the suite, that
it is still built from the README, and that the comparison catches drift.
"""

import shutil
from pathlib import Path

import pytest

from tests.bare_shop.checklist import README, disagreements, readme_blocks

BARE_SHOP = Path(__file__).resolve().parent / "bare_shop"


@pytest.fixture
def copies(tmp_path):
    """A copy of the bare shop and of the README to spoil."""
    shop = tmp_path / "bare_shop"
    shutil.copytree(BARE_SHOP, shop, ignore=shutil.ignore_patterns("__pycache__"))
    readme = tmp_path / "README.md"
    shutil.copy(README, readme)
    return shop, readme


def test_the_bare_shop_is_the_readmes_checklist():
    assert disagreements() == []


def test_every_part_of_the_checklist_is_in_the_bare_shop():
    targets = {target for target, _code in readme_blocks(README.read_text(encoding="utf-8"))}

    assert targets == {
        "shop/settings.py",
        "shop/urls.py",
        "shop/celery.py",
        "shop/__init__.py",
        "shop/settings_extras.py",
        "shop/urls_extras.py",
    }


def test_a_setting_changed_in_the_readme_alone_is_a_disagreement(copies):
    shop, readme = copies
    text = readme.read_text(encoding="utf-8")
    readme.write_text(
        text.replace('OSCAR_LOYALTY_CANCEL_STATUSES = ("Cancelled",)', "OSCAR_LOYALTY_CANCEL_STATUSES = ()")
    )

    (problem,) = disagreements(shop, readme)

    assert "shop/settings.py does not hold the README's block" in problem


def test_wiring_in_the_bare_shop_that_the_readme_does_not_say_is_a_disagreement(copies):
    shop, readme = copies
    settings = shop / "shop" / "settings.py"
    settings.write_text(settings.read_text(encoding="utf-8") + "OSCAR_LOYALTY_HOLD_DAYS = 0\n")

    (problem,) = disagreements(shop, readme)

    assert "OSCAR_LOYALTY_HOLD_DAYS = 0" in problem and "wiring the README does not say" in problem


def test_a_python_block_in_the_checklist_without_its_file_is_a_disagreement(copies):
    shop, readme = copies
    text = readme.read_text(encoding="utf-8")
    readme.write_text(text.replace("<!-- bare shop: shop/urls.py -->\n", "", 1))

    problems = disagreements(shop, readme)

    assert any("a Python block without <!-- bare shop" in problem for problem in problems)
