#!/usr/bin/env python
"""Run the demo shop's management commands: ``python sandbox/manage.py <command>``."""

import os
import sys
from pathlib import Path


def main():
    # Run as a script, Python puts sandbox/ on the path; the project imports
    # as the ``sandbox`` package, so the repository root must be there instead.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
