"""One catalogue file imported step by step, each step within a time budget, logged as a ``CatalogueImport``.

The exchange's ``mode=import`` and the ``erp_import_catalogue`` command both
drive a file through here: ``start`` checks the whole file and applies the
classifier, ``step`` applies products and offers batch by batch from where
the last step stopped, and the last step makes what a full upload did not
list unavailable. Each batch is one transaction with the run's row locked,
its position saved with it: a step cut short (a timeout, a crash) loses no
batch and applies none twice.
"""

import time

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from erp_sync.exchange import commerceml
from erp_sync.exchange.catalogue import reading
from erp_sync.exchange.catalogue.context import CatalogueRefused, ImportContext, save_price_types, sync_groups
from erp_sync.exchange.catalogue.offers import apply_offers
from erp_sync.exchange.catalogue.products import apply_in_batches, apply_products
from erp_sync.exchange.settings import exchange_settings

CatalogueImport = get_model("erp_sync", "CatalogueImport")
ErpProduct = get_model("erp_sync", "ErpProduct")
Product = get_model("catalogue", "Product")
StockRecord = get_model("partner", "StockRecord")


class Overtaken(Exception):
    """Another step of the same run got to the batch first."""


def start(name, path, *, file=None):
    """Check the whole file and apply its classifier; returns the new ``CatalogueImport``.

    Raises ``CommerceMLError`` (the file cannot be read: nothing of it is
    applied) after logging the refusal as a failed run.
    """
    began = time.monotonic()
    scan = reading.Scan()
    groups, price_types = [], []
    try:
        commerceml.check_encoding(path)
        for item in reading.iter_catalogue(path, start=float("inf"), scan=scan):
            if isinstance(item, reading.Group):
                groups.append(item)
            elif isinstance(item, reading.PriceType):
                price_types.append(item)
    except (commerceml.CommerceMLError, OSError) as error:
        CatalogueImport.objects.create(
            name=name[:255], file=file, status=CatalogueImport.FAILED, error=str(error), finished_at=timezone.now()
        )
        raise commerceml.CommerceMLError(str(error)) from error
    kind = CatalogueImport.CATALOGUE if scan.products else CatalogueImport.OFFERS if scan.offers else ""
    with transaction.atomic():
        sync_groups(groups)
        save_price_types(price_types)
        return CatalogueImport.objects.create(
            name=name[:255],
            file=file,
            kind=kind,
            full=bool(scan.full),
            items_total=scan.items,
            seconds=time.monotonic() - began,
        )


#: A step commits what it applied at least this often (seconds): few commits, and locks held briefly.
COMMIT_SECONDS = 5
_COUNTERS = ("errors", "created", "updated", "unchanged", "unavailable", "failed", "items_done", "seconds")


def step(run, path, *, directory=None, budget=float("inf"), progress=None):
    """Apply batches from where the run stopped until ``budget`` seconds pass; returns whether the run finished.

    At least one batch is applied per step. ``progress`` (optional) is called
    with the run after each batch. ``directory`` is where ``import_files/``
    lie (None: no images).
    """
    started = time.monotonic()
    context = ImportContext(run, directory=directory)
    items = reading.iter_catalogue(path, start=run.items_done)
    batches = _batches(items, context)
    try:
        while True:
            exhausted, out_of_time = _apply_some(run, batches, context, progress, started, budget)
            if exhausted:
                break
            if out_of_time:
                return False
    except Overtaken:
        return False
    except CatalogueRefused as error:
        CatalogueImport.objects.filter(pk=run.pk).update(
            status=CatalogueImport.FAILED, error=str(error), finished_at=timezone.now()
        )
        run.status, run.error = CatalogueImport.FAILED, str(error)
        raise
    finally:
        batches.close()
        items.close()
    return finish(run, context)


def _batches(items, context):
    """Consecutive products (or offers) in lists of at most the batch size; the classifier goes to ``context``."""
    batch = []
    for item in items:
        if isinstance(item, (reading.Product, reading.Offer)):
            if batch and type(item) is not type(batch[0]):
                yield batch
                batch = []
            batch.append(item)
            if len(batch) >= context.batch_size:
                yield batch
                batch = []
        else:
            context.take(item)
    if batch:
        yield batch


def _apply_some(run, batches, context, progress, started, budget):
    """Apply batches in one transaction, with the run's row locked and its position saved alongside.

    Returns (no batch left, the step's time is up); commits after ``COMMIT_SECONDS``.
    """
    chunk_started = time.monotonic()
    exhausted = out_of_time = False
    with transaction.atomic():
        locked = CatalogueImport.objects.select_for_update().get(pk=run.pk)
        if locked.status == CatalogueImport.FINISHED:
            return True, False
        if locked.items_done != run.items_done or locked.status != CatalogueImport.IMPORTING:
            raise Overtaken()
        while True:
            batch = next(batches, None)
            if batch is None:
                exhausted = True
                break
            began = time.monotonic()
            apply = apply_products if isinstance(batch[0], reading.Product) else apply_offers
            result = apply_in_batches(batch, context, apply)
            kept = max(0, exchange_settings.CATALOGUE_ERRORS_KEPT - len(locked.errors))
            locked.errors = locked.errors + [{"id": erp_id, "error": error} for erp_id, error in result.failed[:kept]]
            locked.created += result.created
            locked.updated += result.updated
            locked.unchanged += result.unchanged
            locked.unavailable += result.unavailable
            locked.failed += len(result.failed)
            locked.items_done = batch[-1].position + 1
            now = time.monotonic()
            locked.seconds += now - began
            if progress is not None:
                for name in _COUNTERS:
                    setattr(run, name, getattr(locked, name))
                progress(run)
            if now - started > budget and locked.items_done < locked.items_total:
                out_of_time = True
                break
            if now - chunk_started > COMMIT_SECONDS:
                break
        locked.save()
    for name in _COUNTERS:
        setattr(run, name, getattr(locked, name))
    return exhausted, out_of_time


def finish(run, context):
    """Once every item is applied: a full upload makes what it did not list unavailable; the run ends."""
    began = time.monotonic()
    with transaction.atomic():
        locked = CatalogueImport.objects.select_for_update().get(pk=run.pk)
        if locked.status != CatalogueImport.IMPORTING:
            return True
        if locked.items_done < locked.items_total:
            return False
        if locked.full:
            locked.unavailable += make_unavailable(locked, context)
        locked.status = CatalogueImport.FINISHED
        locked.finished_at = timezone.now()
        locked.seconds += time.monotonic() - began
        locked.save()
    for name in ("unavailable", "status", "finished_at", "seconds"):
        setattr(run, name, getattr(locked, name))
    return True


def make_unavailable(run, context):
    """What a full upload did not list: products hidden, offers out of stock (as configured). Never deleted."""
    if run.kind == CatalogueImport.CATALOGUE and exchange_settings.CATALOGUE_ABSENT_PRODUCTS == "hide":
        absent = ErpProduct.objects.exclude(catalogue_run=run.pk).filter(
            product__is_public=True, product__parent__isnull=True
        )
        product_ids = list(absent.values_list("product_id", flat=True))
        if product_ids:
            Product.objects.filter(pk__in=product_ids).update(is_public=False, date_updated=timezone.now())
            # Listed again later, they are applied again (and made public).
            ErpProduct.objects.filter(product_id__in=product_ids).update(data_hash="")
        return len(product_ids)
    if run.kind == CatalogueImport.OFFERS and exchange_settings.CATALOGUE_ABSENT_OFFERS == "out_of_stock":
        partners = [context.partner(), *map(context.warehouse_partner, context.warehouse_partners.values())]
        return (
            StockRecord.objects.filter(partner__in=partners, product__erp_link__isnull=False)
            .exclude(product__erp_link__offers_run=run.pk)
            .exclude(num_in_stock=0)
            .update(num_in_stock=0, date_updated=timezone.now())
        )
    return 0


def warnings(runs):
    """The ``warning:`` lines for what the runs could not apply (none when all went well)."""
    lines = []
    for run in runs:
        if not run.failed:
            continue
        lines.append(
            "warning: "
            + _("%(name)s: %(count)s products or offers could not be applied.")
            % {"name": run.name, "count": run.failed}
        )
        for error in run.errors[:10]:
            lines.append("warning: " + f"{error['id'] or '-'}: " + " ".join(str(error["error"]).split()))
    return lines
