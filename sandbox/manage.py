#!/usr/bin/env python
"""Run the demo shop's management commands: ``python sandbox/manage.py <command>``."""

import os
import sys
from pathlib import Path


def main():
    # Run as a script, Python puts sandbox/ first on the path, where
    # sandbox/celery.py would shadow the celery package. The project imports
    # as the ``sandbox`` package, so the repository root goes there instead.
    here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here]
    sys.path.insert(0, str(here.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
