"""``type=catalog&mode=import``: a session's uploaded catalogue files imported step by step.

1C calls ``import`` with ``filename=import.xml`` (then ``offers.xml``,
``prices*.xml``, ``rests*.xml``) again and again until the shop answers
``success``; each call runs batches for ``ERP_SYNC_EXCHANGE_STEP_SECONDS``
and answers ``progress`` while products or offers are left. Files arrive as
the order exchange's do (chunks appended, zip archives unpacked, names kept
inside the session's directory); the pictures of ``import_files/`` are read
from there.
"""

import time

from django.db import transaction
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from erp_sync.exchange import commerceml, storage
from erp_sync.exchange.catalogue import runs
from erp_sync.exchange.catalogue.context import CatalogueRefused
from erp_sync.exchange.exceptions import ExchangeRefused
from erp_sync.exchange.settings import exchange_settings
from erp_sync.exchange.uploads import archive_documents, current_file, unpack_archives

ExchangeFile = get_model("erp_sync", "ExchangeFile")
CatalogueImport = get_model("erp_sync", "CatalogueImport")

CATALOG = "catalog"


def import_step(session, filename, *, budget=None):
    """One step of ``mode=import`` for the catalogue: ("progress" | "success", message), or ``ExchangeRefused``."""
    budget = exchange_settings.EXCHANGE_STEP_SECONDS if budget is None else budget
    started = time.monotonic()
    try:
        name = storage.clean_name(filename)
    except storage.StorageError as error:
        raise ExchangeRefused(str(error)) from error
    directory = storage.session_dir(session)
    unpack_archives(session, directory)
    targets = archive_documents(session, directory, name) if name.lower().endswith(".zip") else [name]
    for target in targets:
        result = _import_file(session, directory, target, budget - (time.monotonic() - started))
        if result is not None:
            return result
    records = [current_file(session, target) for target in targets]
    imports = CatalogueImport.objects.filter(file__in=[record for record in records if record is not None])
    return "success", "\n".join([_("Import finished."), *runs.warnings(imports)])


def _import_file(session, directory, name, budget):
    record = current_file(session, name)
    if record is None:
        raise ExchangeRefused(_("No file %(name)s was received in this session.") % {"name": name})
    if record.status == ExchangeFile.IMPORTED:
        return None
    if record.status == ExchangeFile.FAILED:
        raise ExchangeRefused(record.error)
    path = storage.path_in(directory, name)
    if record.status == ExchangeFile.RECEIVING:
        _prepare(record, name, path)
    run = CatalogueImport.objects.get(file=record)
    try:
        finished = runs.step(run, path, directory=directory, budget=budget)
    except CatalogueRefused as error:
        ExchangeFile.objects.filter(pk=record.pk).update(status=ExchangeFile.FAILED, error=str(error))
        raise ExchangeRefused(str(error)) from error
    ExchangeFile.objects.filter(pk=record.pk).update(
        status=ExchangeFile.IMPORTED if finished else ExchangeFile.IMPORTING,
        documents_done=run.items_done,
        documents_applied=run.created + run.updated,
        documents_unchanged=run.unchanged,
        documents_failed=run.failed,
    )
    if finished:
        return None
    return "progress", _("%(name)s: %(done)s of %(total)s products and offers processed.") % {
        "name": name,
        "done": run.items_done,
        "total": run.items_total,
    }


def _prepare(record, name, path):
    """Check the whole file and apply its classifier, once: concurrent steps wait for the first."""
    failure = None
    with transaction.atomic():
        record = ExchangeFile.objects.select_for_update().get(pk=record.pk)
        if record.status != ExchangeFile.RECEIVING:
            return
        try:
            run = runs.start(name, path, file=record)
        except commerceml.CommerceMLError as error:
            # Logged (the file and a failed run) and committed: 1C sends a refused file again.
            failure = str(error)
            record.status, record.error = ExchangeFile.FAILED, failure
        else:
            record.status = ExchangeFile.IMPORTING
            record.documents_total = run.items_total
        record.save(update_fields=["status", "error", "documents_total", "updated_at"])
    if failure is not None:
        raise ExchangeRefused(failure)
