"""The bare-shop test: the built wheel, installed into a fresh virtualenv, in an Oscar shop built from the README.

    python tests/bare_shop/run.py                  # the core alone, then with every extra
    python tests/bare_shop/run.py --variant core   # django-oscar-loyalty[postgres,redis] only
    python tests/bare_shop/run.py --variant extras # with [wagtail,erp] as well
    python tests/bare_shop/run.py --wheel dist/django_oscar_loyalty-....whl

Steps: the README's install checklist is compared with the bare shop
(``checklist.py``: any disagreement fails the run before anything is built);
the wheel is built once from the source tree (unless one is given) with the
interpreter running this script, which needs ``build``; for each variant a
virtualenv in a temporary folder gets the wheel with the extras and the shop's own
thumbnailer, nothing from the source tree; the shop is copied beside it,
migrated on a new PostgreSQL database (127.0.0.1:5432, user postgres) with a
flushed Redis cache (127.0.0.1:6379/1), and ``smoke.py`` drives it through
Django's test client. Exits non-zero on the first failure.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE))

from checklist import disagreements  # noqa: E402

CORE_EXTRAS = "postgres,redis"
ALL_EXTRAS = "postgres,redis,wagtail,erp"
# The shop's own requirement, not the plugin's: the thumbnailer its INSTALLED_APPS name.
SHOP_REQUIREMENTS = ["django-oscar[sorl-thumbnail]>=4.0,<4.3"]


def run(*command, cwd=None, env=None):
    print("$", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], cwd=cwd, env=env, check=True)


def build_wheel(outdir):
    run(sys.executable, "-m", "build", "--wheel", "--outdir", outdir, ROOT)
    (wheel,) = Path(outdir).glob("django_oscar_loyalty-*.whl")
    return wheel


VARIANTS = {
    # variant: (extras, settings module, database)
    "core": (CORE_EXTRAS, "shop.settings", "bare_shop_core"),
    "extras": (ALL_EXTRAS, "shop.settings_extras", "bare_shop_extras"),
}


def try_variant(name, wheel, work):
    extras, settings, database = VARIANTS[name]
    started = time.monotonic()
    venv = work / f"venv-{name}"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        f"django-oscar-loyalty[{extras}] @ {wheel.as_uri()}",
        *SHOP_REQUIREMENTS,
    )
    run(python, "-m", "pip", "check")

    shop = work / f"shop-{name}"
    shop.mkdir()
    shutil.copy(HERE / "manage.py", shop)
    shutil.copy(HERE / "smoke.py", shop)
    shutil.copytree(HERE / "shop", shop / "shop", ignore=shutil.ignore_patterns("__pycache__"))

    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": settings,
        "BARE_SHOP_DATABASE": database,
        "HOME": str(work),
    }
    for statement in (f"DROP DATABASE IF EXISTS {database} WITH (FORCE)", f"CREATE DATABASE {database}"):
        run(
            python,
            "-c",
            f"import psycopg; psycopg.connect('host=127.0.0.1 user=postgres dbname=postgres', "
            f"autocommit=True).execute({statement!r})",
            env=env,
        )
    # The cache outlives databases: ids cached by an earlier run would name rows this database lacks.
    run(python, "-c", "import redis; redis.Redis(host='127.0.0.1', port=6379, db=1).flushdb()", env=env)
    run(python, "manage.py", "migrate", "--noinput", "--verbosity", "0", cwd=shop, env=env)
    run(python, "smoke.py", cwd=shop, env=env)
    print(f"Bare shop [{extras}] passed in {time.monotonic() - started:.0f} s.", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--variant",
        choices=sorted(VARIANTS),
        action="append",
        help="core (the default extras only) or extras (all of them); default: both",
    )
    parser.add_argument("--wheel", type=Path, help="a built wheel (default: build one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    options = parser.parse_args(argv)

    problems = disagreements()
    if problems:
        print("The README's install checklist and tests/bare_shop disagree:", *problems, sep="\n  ", file=sys.stderr)
        return 1

    work = Path(tempfile.mkdtemp(prefix="bare-shop-"))
    try:
        wheel = options.wheel.resolve() if options.wheel else build_wheel(work / "dist")
        for name in options.variant or ["core", "extras"]:
            try_variant(name, wheel, work)
        return 0
    except subprocess.CalledProcessError as failure:
        print(f"The bare shop failed: {failure}", file=sys.stderr)
        return 1
    finally:
        if options.keep:
            print(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
