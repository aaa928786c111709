"""The test suite; it is also the Django project the benchmarks run in."""

# Load the Celery app with Django so ``shared_task`` binds to it (and its
# settings decide eager or real-broker delivery), as a project's package does.
from .celery_app import app as celery_app

__all__ = ["celery_app"]
