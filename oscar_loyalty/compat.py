"""What differs between the Django versions the plugin supports (4.2 LTS and 5.2 LTS).

Models and migrations use these names instead of Django's, so that a migration
written by ``makemigrations`` on one supported Django runs on the others.
"""

import django
from django.db import models


class CheckConstraint(models.CheckConstraint):
    """Django's ``CheckConstraint``, spelled ``condition=`` on every supported Django.

    Django 5.1 renamed ``check`` to ``condition`` and 6.0 drops ``check``; 4.2
    knows only ``check``. The class deconstructs to itself, so the migrations
    ``makemigrations`` writes reference it (with ``condition=``) on every version.
    """

    if django.VERSION < (5, 1):

        def __init__(self, *, condition, **kwargs):
            super().__init__(check=condition, **kwargs)

        @property
        def condition(self):
            return self.check

        def deconstruct(self):
            path, args, kwargs = super().deconstruct()
            kwargs["condition"] = kwargs.pop("check")
            return path, args, kwargs
