"""The catalogue from the accounting system: 100,000 products and 100,000 offers imported into PostgreSQL.

Generates a CommerceML catalogue as 1C writes it (``import.xml`` with a
classifier of 60 groups in two levels and ``--products`` products with
requisites, a property and a margin group; ``offers.xml`` with two price
types and an offer per product), then, each in a fresh child process so
its peak RSS is its own:

1. the anchor: a bare lxml ``iterparse`` pass over both files, every element
   cleared as it ends (and, printed for reference, a pass that hands only the
   products and offers to Python);
2. the import, as ``manage.py erp_import_catalogue`` runs it: both files
   checked whole, then written in batches (products, categories, attribute
   values, margin group assignments, stock records), into an emptied catalogue;
3. with ``--with-10x``, the same import of a catalogue ten times larger, for
   the memory check (slow: minutes; opt-in).

    python -m benchmarks.catalogue_import [--products 100000] [--with-10x]

Needs PostgreSQL (``DATABASE_URL``, default a ``loyalty_bench_catalogue``
database on the local server). Targets: import ÷ parse-only ≤ 15, peak RSS
under 300 MB and within 20% between the 1× and 10× files. The last line of
output is one JSON object with the figures.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from benchmarks.common import emit_json, ensure_database, rounded, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/loyalty_bench_catalogue"
GROUPS, SUBGROUPS = 10, 5
TARGET_RATIO, TARGET_RSS_MB, TARGET_RSS_GROWTH = 15, 300, 0.20
RETAIL, WHOLESALE = "e8b0c7a3-9c72-11e9-80f2-00155d0a6401", "e8b0c7a2-9c72-11e9-80f2-00155d0a6401"
MARGINS = ("Low margin", "Standard", "High margin")
KINDS = ("Велосипед", "Аксессуар", "Одежда", "Запчасть")
HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" '
    'ВерсияСхемы="2.08" ДатаФормирования="2026-11-30T18:04:12">\n'
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.catalogue_import", description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=100_000, help="products and offers (default 100,000)")
    parser.add_argument("--with-10x", action="store_true", help="also import a catalogue ten times larger")
    parser.add_argument("--keep-files", action="store_true", help="keep the generated files (their folder is printed)")
    parser.add_argument("--measure", choices=["parse", "parse-filtered", "import"], help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- The files ---------------------------------------------------------------------


def _group_id(group, sub=None):
    return f"4a2b{group:04x}-9c6f-11e9-80f2-{(sub if sub is not None else 0xFFFF):012x}"


def _product_id(n):
    return f"a1c3{n:08x}-9c71-11e9-80f2-00155d0a6401"


def write_import(path, count):
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEAD)
        out.write(
            "<Классификатор><Ид>bd72d8f9-55bc-11d9-848a-00112f43529a</Ид><Наименование>Классификатор</Наименование><Группы>"
        )
        for group in range(GROUPS):
            out.write(f"<Группа><Ид>{_group_id(group)}</Ид><Наименование>Раздел {group}</Наименование><Группы>")
            for sub in range(SUBGROUPS):
                out.write(
                    f"<Группа><Ид>{_group_id(group, sub)}</Ид>"
                    f"<Наименование>Подраздел {group}.{sub}</Наименование></Группа>"
                )
            out.write("</Группы></Группа>")
        out.write(
            "</Группы><Свойства><Свойство><Ид>7f3d1a20-9c70-11e9-80f2-00155d0a6401</Ид><Наименование>Производитель"
            "</Наименование><ТипЗначений>Строка</ТипЗначений></Свойство></Свойства></Классификатор>\n"
            '<Каталог СодержитТолькоИзменения="false"><Ид>bd72d8f9-55bc-11d9-848a-00112f43529a</Ид>'
            "<ИдКлассификатора>bd72d8f9-55bc-11d9-848a-00112f43529a</ИдКлассификатора>"
            "<Наименование>Основной каталог товаров</Наименование><Товары>\n"
        )
        for n in range(count):
            group = _group_id(n % GROUPS, (n // GROUPS) % SUBGROUPS)
            out.write(
                f"<Товар><Ид>{_product_id(n)}</Ид><Артикул>ART-{n:07d}</Артикул>"
                f"<Наименование>Товар номер {n} для велосипеда</Наименование>"
                '<БазоваяЕдиница Код="796" НаименованиеПолное="Штука" МеждународноеСокращение="PCE">шт</БазоваяЕдиница>'
                f"<Группы><Ид>{group}</Ид></Группы><Описание>Описание товара {n}: прочный, лёгкий, надёжный.</Описание>"
                "<ЗначенияСвойств><ЗначенияСвойства><Ид>7f3d1a20-9c70-11e9-80f2-00155d0a6401</Ид>"
                f"<Значение>Бренд {n % 40}</Значение></ЗначенияСвойства></ЗначенияСвойств>"
                "<СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>20</Ставка></СтавкаНалога></СтавкиНалогов>"
                "<ЗначенияРеквизитов>"
                "<ЗначениеРеквизита><Наименование>ВидНоменклатуры</Наименование>"
                f"<Значение>{KINDS[n % 4]}</Значение></ЗначениеРеквизита>"
                "<ЗначениеРеквизита><Наименование>ТипНоменклатуры</Наименование><Значение>Товар</Значение></ЗначениеРеквизита>"
                "<ЗначениеРеквизита><Наименование>ГруппаМаржинальности</Наименование>"
                f"<Значение>{MARGINS[n % 3]}</Значение>"
                "</ЗначениеРеквизита></ЗначенияРеквизитов></Товар>\n"
            )
        out.write("</Товары></Каталог></КоммерческаяИнформация>\n")


def write_offers(path, count):
    with open(path, "w", encoding="utf-8") as out:
        out.write(HEAD)
        out.write(
            '<ПакетПредложений СодержитТолькоИзменения="false"><Ид>bd72d8f9-55bc-11d9-848a-00112f43529a#</Ид>'
            "<Наименование>Пакет предложений</Наименование>"
            "<ИдКаталога>bd72d8f9-55bc-11d9-848a-00112f43529a</ИдКаталога>"
            f"<ТипыЦен><ТипЦены><Ид>{WHOLESALE}</Ид><Наименование>Оптовая</Наименование><Валюта>руб</Валюта></ТипЦены>"
            f"<ТипЦены><Ид>{RETAIL}</Ид><Наименование>Розничная</Наименование><Валюта>руб</Валюта>"
            "<Налог><Наименование>НДС</Наименование><УчтеноВСумме>true</УчтеноВСумме></Налог></ТипЦены></ТипыЦен>"
            "<Предложения>\n"
        )
        for n in range(count):
            retail = 500 + (n * 37) % 200_000
            out.write(
                f"<Предложение><Ид>{_product_id(n)}</Ид><Наименование>Товар номер {n} для велосипеда</Наименование>"
                '<БазоваяЕдиница Код="796" НаименованиеПолное="Штука">шт</БазоваяЕдиница><Цены>'
                f"<Цена><Представление>{retail * 0.8:.2f} руб. за шт</Представление>"
                f"<ИдТипаЦены>{WHOLESALE}</ИдТипаЦены>"
                f"<ЦенаЗаЕдиницу>{retail * 0.8:.2f}</ЦенаЗаЕдиницу><Валюта>руб</Валюта><Единица>шт</Единица>"
                "<Коэффициент>1</Коэффициент></Цена>"
                f"<Цена><Представление>{retail} руб. за шт</Представление><ИдТипаЦены>{RETAIL}</ИдТипаЦены>"
                f"<ЦенаЗаЕдиницу>{retail}</ЦенаЗаЕдиницу><Валюта>руб</Валюта><Единица>шт</Единица>"
                f"<Коэффициент>1</Коэффициент></Цена></Цены><Количество>{n % 25}</Количество></Предложение>\n"
            )
        out.write("</Предложения></ПакетПредложений></КоммерческаяИнформация>\n")


def generate(directory, count):
    started = time.perf_counter()
    write_import(os.path.join(directory, "import.xml"), count)
    write_offers(os.path.join(directory, "offers.xml"), count)
    sizes = sum(os.path.getsize(os.path.join(directory, name)) for name in ("import.xml", "offers.xml"))
    print(
        f"generated {count} products and offers ({sizes / 1e6:.0f} MB) in {time.perf_counter() - started:.1f} s",
        flush=True,
    )


# --- The measures (each in a child process) ------------------------------------------


def parse_only(directory, *, elements_of_interest=False):
    """The anchor: a bare lxml iterparse pass over both files, every element cleared (with the siblings
    before it) as it ends, so memory stays flat; nothing is read from the elements.

    With ``elements_of_interest`` only the products and offers are handed to Python (lxml's ``tag``
    filter), the least any streaming reader of these files can cost: printed for reference.
    """
    from lxml import etree

    count = 0
    for name, tag in (("import.xml", "{*}Товар"), ("offers.xml", "{*}Предложение")):
        options = {"tag": tag} if elements_of_interest else {}
        context = etree.iterparse(
            os.path.join(directory, name), events=("end",), resolve_entities=False, no_network=True, **options
        )
        for _event, element in context:
            count += 1
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del element.getparent()[0]
    return count


def import_all(directory):
    """Both files as ``erp_import_catalogue`` imports them; returns the runs' figures."""
    from erp_sync.exchange.catalogue import runs

    figures = []
    for name in ("import.xml", "offers.xml"):
        path = os.path.join(directory, name)
        run = runs.start(name, path)
        runs.step(run, path, directory=directory)
        run.refresh_from_db()
        if run.failed or run.status != "finished":
            raise SystemExit(f"{name}: {run.status}, {run.failed} failed: {run.errors[:3]}")
        figures.append({"name": name, "created": run.created, "items": run.items_total})
    return figures


def peak_rss_mb():
    """This process's peak resident memory. Not ``ru_maxrss``: Linux carries that over from the parent across exec."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind, directory):
    if kind == "import":
        setup_django(os.environ["DATABASE_URL"])
    started = time.perf_counter()
    if kind == "import":
        result = import_all(directory)
    else:
        result = parse_only(directory, elements_of_interest=kind == "parse-filtered")
    seconds = time.perf_counter() - started
    print(
        json.dumps({"seconds": round(seconds, 2), "peak_rss_mb": round(peak_rss_mb(), 1), "result": result}), flush=True
    )


def run_child(kind, directory):
    output = subprocess.run(
        [sys.executable, "-m", "benchmarks.catalogue_import", "--measure", kind, "--dir", directory],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def empty_catalogue():
    """Start every import from an empty catalogue (the default tiers and margin groups kept)."""
    from django.db import connection
    from oscar.core.loading import get_model

    models = [
        get_model("erp_sync", "CatalogueImport"),
        get_model("erp_sync", "ErpProduct"),
        get_model("erp_sync", "ErpCategory"),
        get_model("erp_sync", "ErpPriceType"),
        get_model("oscar_loyalty", "MarginGroupAssignment"),
        get_model("partner", "StockRecord"),
        get_model("catalogue", "ProductAttributeValue"),
        get_model("catalogue", "ProductCategory"),
        get_model("catalogue", "ProductImage"),
        get_model("catalogue", "Product"),
        get_model("catalogue", "Category"),
    ]
    quoted = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        for model in models:
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def main(argv=None):
    args = parse_args(argv)
    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if args.measure:
        measure(args.measure, args.dir)
        return
    ensure_database(os.environ["DATABASE_URL"])
    setup_django(os.environ["DATABASE_URL"])
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    directory = tempfile.mkdtemp(prefix="catalogue-bench-")
    try:
        generate(directory, args.products)
        parse = run_child("parse", directory)
        print(f"parse only (bare iterparse, the anchor): {parse}", flush=True)
        filtered = run_child("parse-filtered", directory)
        print(f"parse only, products and offers alone handed to Python: {filtered}", flush=True)
        empty_catalogue()
        full = run_child("import", directory)
        print(f"import: {full}", flush=True)
        large = None
        if args.with_10x:
            large_dir = os.path.join(directory, "10x")
            os.makedirs(large_dir)
            generate(large_dir, args.products * 10)
            empty_catalogue()
            large = run_child("import", large_dir)
            print(f"import 10x: {large}", flush=True)
    finally:
        if args.keep_files:
            print(f"files kept in {directory}", flush=True)
        else:
            shutil.rmtree(directory, ignore_errors=True)
    ratio = full["seconds"] / parse["seconds"] if parse["seconds"] else None
    if filtered["seconds"]:
        print(f"import ÷ filtered parse: {full['seconds'] / filtered['seconds']:.2f}", flush=True)
    emit_json(
        {
            "products": args.products,
            "seconds": full["seconds"],
            "parse_only_seconds": parse["seconds"],
            "ratio": rounded(ratio, 2),
            "peak_rss_mb": full["peak_rss_mb"],
            "peak_rss_mb_10x": large["peak_rss_mb"] if large else None,
            # The stricter anchor: the same files with only products and offers handed to Python.
            "parse_of_interest_seconds": filtered["seconds"],
            "ratio_of_interest": rounded(full["seconds"] / filtered["seconds"] if filtered["seconds"] else None, 2),
        }
    )


if __name__ == "__main__":
    main()
