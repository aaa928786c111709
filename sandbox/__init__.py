"""The demo shop: Oscar, Wagtail and the loyalty program wired together.

Its Celery app (``sandbox.celery``) is loaded by the demo app's ``ready()``,
not here: the test suite imports parts of the sandbox (the reference
accounting service) beside its own Celery app, and two current apps would
disagree about which one runs a task.
"""
