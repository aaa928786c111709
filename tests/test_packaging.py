"""The package as a shop installs it: the core app alone, the databases it accepts, what the wheel ships.

The core shop (``tests.settings_core``) has Oscar and ``oscar_loyalty`` only:
no ``erp_sync``, no Wagtail pages. It runs in a subprocess, so what it
imports is what the core pulls in by itself, not what this suite loaded.
"""

import os
import sqlite3
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from django.apps import apps

from oscar_loyalty.settings import loyalty_settings

ROOT = Path(__file__).resolve().parent.parent

# What the extras bring (and the sandbox's thumbnailer): the core must import none of them.
OPTIONAL = ("erp_sync", "wagtail_pages", "wagtail", "zeep", "lxml", "requests", "sorl")

IMPORT_EVERY_MODULE = """
import importlib, pkgutil, sys

import django

django.setup()

import oscar_loyalty

for module in pkgutil.walk_packages(oscar_loyalty.__path__, "oscar_loyalty."):
    importlib.import_module(module.name)
loaded = {name.partition(".")[0] for name in sys.modules}
print(",".join(sorted(loaded & set(sys.argv[1:]))))
"""

PROGRAM_LINK = """
import django

django.setup()

from django.shortcuts import resolve_url

from oscar_loyalty.settings import loyalty_settings

print(resolve_url(loyalty_settings.PROGRAM_URL))
"""


def run(*args, settings, **env):
    environ = {**os.environ, "DJANGO_SETTINGS_MODULE": settings, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_core_app_passes_django_checks_without_erp_sync_and_the_pages():
    result = run("-m", "django", "check", settings="tests.settings_core")

    assert result.returncode == 0, result.stderr


def test_no_core_module_imports_the_extras():
    result = run("-c", IMPORT_EVERY_MODULE, *OPTIONAL, settings="tests.settings_core")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_without_the_pages_the_program_link_goes_to_my_bonuses():
    result = run("-c", PROGRAM_LINK, settings="tests.settings_core")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "/loyalty/my-bonuses/"


@pytest.mark.skipif(not apps.is_installed("wagtail_pages"), reason="these settings have no Wagtail pages")
def test_with_the_pages_the_program_link_goes_to_their_landing_page(settings):
    # The demo pages' landing page is /loyalty/.
    assert not hasattr(settings, "OSCAR_LOYALTY_PROGRAM_URL")

    assert loyalty_settings.PROGRAM_URL == "/loyalty/"


def test_a_shop_chosen_program_link_wins(settings):
    settings.OSCAR_LOYALTY_PROGRAM_URL = "https://shop.example.com/bonus-program/"

    assert loyalty_settings.PROGRAM_URL == "https://shop.example.com/bonus-program/"


def test_migrate_refuses_an_unsupported_database_before_writing_anything(tmp_path):
    database = tmp_path / "shop.sqlite3"

    result = run(
        "-m",
        "django",
        "migrate",
        "--noinput",
        settings="tests.settings_unsupported_db",
        UNSUPPORTED_DB_PATH=str(database),
    )

    assert result.returncode == 1
    assert "CommandError" in result.stderr
    assert "PostgreSQL" in result.stderr and "SQLite" in result.stderr and "MySQL" in result.stderr
    assert "Traceback" not in result.stderr
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall() == []


def test_the_wheel_ships_templates_static_translations_wsdl_migrations_and_the_typing_marker(tmp_path):
    # Built from the sdist, in an isolated environment, as `make dist` does: what the sdist lacks,
    # the wheel lacks too.
    pytest.importorskip("build")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    (sdist,) = tmp_path.glob("django_oscar_loyalty-*.tar.gz")
    with tarfile.open(sdist) as archive:
        in_sdist = {name.partition("/")[2] for name in archive.getnames()}
    assert {"README.md", "CHANGELOG.md", "LICENSE"} <= in_sdist

    (wheel,) = tmp_path.glob("django_oscar_loyalty-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())

    def has(prefix, suffix=""):
        return any(name.startswith(prefix) and name.endswith(suffix) for name in names)

    assert "oscar_loyalty/py.typed" in names
    assert has("oscar_loyalty/templates/", ".html")
    assert has("oscar_loyalty/static/")
    assert has("oscar_loyalty/migrations/0001_", ".py")
    assert has("erp_sync/migrations/0001_", ".py")
    assert has("wagtail_pages/migrations/0001_", ".py")
    assert has("erp_sync/soap/", ".wsdl")
    assert has("wagtail_pages/templates/", ".html")
    for app in ("oscar_loyalty", "erp_sync", "wagtail_pages"):
        assert f"{app}/locale/ru/LC_MESSAGES/django.po" in names
        assert f"{app}/locale/ru/LC_MESSAGES/django.mo" in names
    assert not has("sandbox/") and not has("tests/") and not has("benchmarks/")
    metadata = next(name for name in names if name.endswith(".dist-info/METADATA"))
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names) or any(
        name.endswith(".dist-info/LICENSE") for name in names
    )
    requires = [
        line.removeprefix("Requires-Dist: ")
        for line in zipfile.ZipFile(wheel).read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist: ") and "extra ==" not in line
    ]
    assert sorted(r.split("<")[0].split(">")[0].lower() for r in requires) == ["celery", "django", "django-oscar"]
