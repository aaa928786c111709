"""The models and migrations run on every supported Django (4.2 LTS to 5.2 LTS), whichever one wrote them."""

from pathlib import Path

import pytest
from django.db import IntegrityError, connection
from django.db.models import Q

from oscar_loyalty.compat import CheckConstraint

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = sorted(
    path for app in ("oscar_loyalty", "erp_sync", "wagtail_pages") for path in (ROOT / app).glob("migrations/0*.py")
)


def test_a_check_constraint_is_written_with_condition_on_this_django():
    constraint = CheckConstraint(condition=Q(points__gte=0), name="points_not_negative")

    path, args, kwargs = constraint.deconstruct()

    assert path == "oscar_loyalty.compat.CheckConstraint"
    assert (args, kwargs) == ((), {"condition": Q(points__gte=0), "name": "points_not_negative"})
    assert constraint.clone() == constraint


@pytest.mark.parametrize("migration", MIGRATIONS, ids=lambda path: f"{path.parent.parent.name}/{path.stem}")
def test_no_migration_spells_a_check_constraint_the_way_one_django_version_only_knows(migration):
    # Django 5.1+ writes models.CheckConstraint(condition=...), which Django 4.2 cannot load.
    assert "models.CheckConstraint(" not in migration.read_text()


@pytest.mark.django_db
def test_the_constraints_a_migration_made_hold_in_the_database():
    from oscar_loyalty.models import Tier

    tier = Tier.objects.first()

    with pytest.raises(IntegrityError), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Tier._meta.db_table} SET threshold = -1 WHERE id = %s", [tier.pk])
