"""Files the accounting system uploads, and their step-wise import, document by document.

Part of the exchange's public API (``erp_sync.exchange.services`` offers
these same names). A file that cannot be read at all (broken, hostile,
truncated, a lying encoding) is refused whole before anything of it is
applied. Inside a readable file each document stands alone: one with a
value the shop cannot store, or that the database refuses, fails by itself
(in its own savepoint), and one naming an order the shop does not have is
skipped; both are listed as ``warning:`` lines after ``success``, because 1C
sends a refused file again and again, forever.
"""

import logging
import os
import time

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from oscar.core.loading import get_model

from erp_sync.exchange import commerceml, mapping, storage
from erp_sync.exchange.exceptions import ExchangeRefused
from erp_sync.exchange.mapping import STORE_CHANNEL_PREFIX
from erp_sync.exchange.settings import exchange_settings

ExchangeSession = get_model("erp_sync", "ExchangeSession")
ExchangeFile = get_model("erp_sync", "ExchangeFile")
ExchangeDocument = get_model("erp_sync", "ExchangeDocument")
OrderErpState = get_model("erp_sync", "OrderErpState")
Lot = get_model("oscar_loyalty", "Lot")

#: How many order numbers a warning line names before it says "and N more".
LISTED = 50
#: How many failed documents get a line of their own with the reason.
EXPLAINED = 10
#: A chunk of at most this much whitespace after a file was imported is its
#: line ending arriving late, not a new upload.
TRAILING_WHITESPACE = 64

logger = logging.getLogger(__name__)


def receive_file(session, filename, stream, *, length=None):
    """Append one uploaded chunk to ``filename`` in the session's directory; returns the ``ExchangeFile``."""
    try:
        name = storage.clean_name(filename)
    except storage.StorageError as error:
        raise ExchangeRefused(str(error)) from error
    with transaction.atomic():
        ExchangeSession.objects.select_for_update().filter(pk=session.pk).first()  # one upload at a time
        record = current_file(session, name, lock=True)
        if record is None:
            record = ExchangeFile.objects.create(session=session, name=name)
        if record.status != ExchangeFile.RECEIVING:
            # Imported once its root element closed (the protocol without a version):
            # a last chunk holding only the final line ending is no new file.
            rest = stream.read(TRAILING_WHITESPACE + 1)
            if record.status == ExchangeFile.IMPORTED and len(rest) <= TRAILING_WHITESPACE and not rest.strip():
                return record
            raise ExchangeRefused(
                _("%(name)s was already imported in this session: call init to start over.") % {"name": name}
            )
        try:
            size = storage.append_chunk(storage.session_dir(session), name, stream, length=length)
        except storage.StorageError as error:
            raise ExchangeRefused(str(error)) from error
        record.size = size
        record.chunks += 1
        record.save(update_fields=["size", "chunks", "updated_at"])
    return record


def current_file(session, name, *, lock=False):
    """The session's record of ``name`` since the last ``init`` (earlier ones stay as the log)."""
    records = ExchangeFile.objects.filter(session=session, name=name)
    if session.initialized_at is not None:
        records = records.filter(received_at__gte=session.initialized_at)
    if lock:
        records = records.select_for_update()
    return records.order_by("-pk").first()


def document_limits():
    """What the exchange's models can store (a shop's own models included), as ``commerceml.Limits``."""
    state = OrderErpState._meta
    log = ExchangeDocument._meta

    def longest(*fields):
        bounded = [field.max_length for field in fields if field.max_length is not None]
        return min(bounded) if bounded else None  # a TextField in a shop's own model: no limit

    goods = state.get_field("goods_total")
    return commerceml.Limits(
        text={
            "version": longest(state.get_field("version"), log.get_field("version")),
            "erp_number": longest(state.get_field("erp_number"), log.get_field("erp_number")),
            "payment_number": longest(state.get_field("payment_number")),
            "shipment_number": longest(state.get_field("shipment_number")),
            "status": longest(state.get_field("erp_status")),
            # The store becomes the lots' sales channel, "store:<id>".
            "store_id": longest(Lot._meta.get_field("channel")) - len(STORE_CHANNEL_PREFIX),
        },
        max_digits=goods.max_digits,
        decimal_places=goods.decimal_places,
    )


def store_requisites():
    """The requisites whose value names the store a sale was made at, as the shop configured them."""
    names = exchange_settings.EXCHANGE_STORE_REQUISITES or ()
    return (names,) if isinstance(names, str) else tuple(names)


def unpack_archives(session, directory):
    """Unpack the session's received zip archives; returns {archive name: [member names]}."""
    unpacked = {}
    archives = ExchangeFile.objects.filter(session=session, status=ExchangeFile.RECEIVING)
    if session.initialized_at is not None:
        archives = archives.filter(received_at__gte=session.initialized_at)
    for archive in archives:
        if not archive.name.lower().endswith(".zip"):
            continue
        try:
            members = storage.unpack_zip(directory, archive.name)
        except storage.StorageError as error:
            archive.status, archive.error = ExchangeFile.FAILED, str(error)
            archive.save(update_fields=["status", "error", "updated_at"])
            raise ExchangeRefused(str(error)) from error
        for member in members:
            path = storage.path_in(directory, member)
            ExchangeFile.objects.create(session=session, name=member, size=os.path.getsize(path))
        archive.status = ExchangeFile.IMPORTED
        archive.documents_total = len(members)
        archive.save(update_fields=["status", "documents_total", "updated_at"])
        unpacked[archive.name] = members
    return unpacked


def archive_documents(session, directory, name):
    """The XML files the archive ``name`` held, once ``unpack_archives`` has unpacked it.

    An archive refused once (a member named outside the session's directory,
    a zip bomb) is refused with the same reason on every later call: 1C
    repeats ``import`` until the shop answers, and must learn why each time.
    """
    archive = current_file(session, name)
    if archive is None:
        raise ExchangeRefused(_("No file %(name)s was received in this session.") % {"name": name})
    if archive.status == ExchangeFile.FAILED:
        raise ExchangeRefused(archive.error)
    try:
        members = storage.zip_members(directory, name)
    except storage.StorageError as error:
        raise ExchangeRefused(str(error)) from error
    return [member for member in members if member.lower().endswith(".xml")]


def import_step(session, filename, *, budget=None):
    """One step of ``mode=import``: returns ("progress" | "success", message) or raises ``ExchangeRefused``.

    The file is read whole before its first document is applied (a
    truncated or hostile file changes nothing); documents are then applied in
    order until ``budget`` seconds have passed, the position saved with them.
    The final message ends with a ``warning:`` line for the documents skipped
    (unknown orders) and for those that failed.
    """
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
        result = _import_file(session, directory, target, started, budget)
        if result is not None:
            return result
    records = [record for record in (current_file(session, target) for target in targets) if record is not None]
    return "success", "\n".join([_("Import finished."), *warnings(records)])


def import_all(session, filename):
    """Import a file to the end in one call (the protocol without a version at ``init``)."""
    while True:
        status, message = import_step(session, filename, budget=float("inf"))
        if status == "success":
            return message


def import_when_complete(session, filename):
    """The protocol without a version: import ``filename`` (an XML file or a zip of them) once its last chunk is in.

    1C sends a file larger than ``file_limit`` in several ``file`` calls and
    says nothing about which is the last: an XML file is whole when its root
    element has closed, a zip archive when its directory (at its end) can be
    read. Returns the import's message, or None while the file is still open
    (a file already broken is imported now, to say why it fails).
    """
    name = storage.clean_name(filename)
    path = storage.path_in(storage.session_dir(session), name)
    if name.lower().endswith(".zip"):
        if storage.zip_awaits_more(path):
            return None
    elif commerceml.upload_state(path) == commerceml.INCOMPLETE:
        return None
    return import_all(session, name)


def _import_file(session, directory, name, started, budget):
    record = current_file(session, name)
    if record is None:
        raise ExchangeRefused(_("No file %(name)s was received in this session.") % {"name": name})
    if record.status == ExchangeFile.IMPORTED:
        return None
    if record.status == ExchangeFile.FAILED:
        raise ExchangeRefused(record.error)
    path = storage.path_in(directory, name)
    limits = document_limits()
    if record.status == ExchangeFile.RECEIVING:
        _prepare(record, path, limits)
    # One step is one transaction with the file's row locked: two concurrent
    # steps cannot apply the same document, and the saved position always
    # matches the documents applied (each in its own savepoint).
    with transaction.atomic():
        record = ExchangeFile.objects.select_for_update().get(pk=record.pk)
        if record.status != ExchangeFile.IMPORTING:
            return None
        skipped = set(
            ExchangeDocument.objects.filter(file=record, status=ExchangeDocument.SKIPPED).values_list(
                "position", flat=True
            )
        )
        applied_now = 0
        documents = commerceml.iter_documents(
            path, start=record.documents_done, limits=limits, store_requisites=store_requisites()
        )
        for doc in documents:
            if applied_now and time.monotonic() - started > budget:
                documents.close()  # closes the file now, not at garbage collection
                break
            record.documents_done = doc.position + 1
            if doc.position in skipped:
                continue
            outcome = apply_document(doc)
            ExchangeDocument.objects.create(
                file=record,
                position=doc.position,
                document_id=doc.document_id[:128],
                order_number=outcome.order_number[:128],
                erp_number=doc.erp_number[:64],
                version=doc.version[:64],
                status=outcome.status,
                changes=[str(change) for change in outcome.changes],
                error=outcome.error,
            )
            applied_now += 1
            counter = {"applied": "documents_applied", "unchanged": "documents_unchanged"}.get(
                outcome.status, "documents_failed"
            )
            setattr(record, counter, getattr(record, counter) + 1)
        if record.documents_done >= record.documents_total:
            record.status = ExchangeFile.IMPORTED
        record.save()
    if record.status == ExchangeFile.IMPORTED:
        return None
    return "progress", _("%(name)s: %(done)s of %(total)s documents processed.") % {
        "name": name,
        "done": record.documents_done,
        "total": record.documents_total,
    }


def _prepare(record, path, limits):
    """Read the whole file before any of it is applied, and set aside the documents for unknown orders."""
    try:
        total = commerceml.validate(path)
        problems = mapping.precheck(commerceml.iter_documents(path, limits=limits, store_requisites=store_requisites()))
    except (commerceml.CommerceMLError, OSError) as error:
        ExchangeFile.objects.filter(pk=record.pk).update(status=ExchangeFile.FAILED, error=str(error))
        raise ExchangeRefused(str(error)) from error
    # precheck lists bad values too; those fail one by one when applied.
    unknown = [doc for doc, _reason in problems if not doc.error]
    if unknown and exchange_settings.EXCHANGE_UNKNOWN_ORDERS_FATAL:
        _refuse_unknown_orders(record, unknown)
    with transaction.atomic():
        started = ExchangeFile.objects.filter(pk=record.pk, status=ExchangeFile.RECEIVING).update(
            status=ExchangeFile.IMPORTING, documents_total=total, documents_skipped=len(unknown)
        )
        if started:  # not a concurrent step that got here first
            ExchangeDocument.objects.bulk_create(
                _document_row(record, doc, ExchangeDocument.SKIPPED, _unknown_order_error(doc)) for doc in unknown
            )


def apply_document(doc):
    """Apply one document in a savepoint of its own: whatever fails rolls back this document only.

    A failed outcome rolls back too, so nothing half-applied stays. Database
    errors (a value the database refuses, a constraint) and errors from a
    document's values become this document's failure, logged with their traceback.
    """
    try:
        with transaction.atomic():
            outcome = mapping.apply_document(doc)
            if outcome.status == ExchangeDocument.FAILED:
                transaction.set_rollback(True)
            return outcome
    except (DatabaseError, ValueError, ArithmeticError) as error:
        logger.exception("Exchange document %s (position %s) failed.", doc.document_id, doc.position)
        return mapping.Outcome(
            ExchangeDocument.FAILED,
            doc.document_id,
            error=_("The shop could not store this document: %(error)s") % {"error": error},
        )


def _document_row(record, doc, status, error):
    return ExchangeDocument(
        file=record,
        position=doc.position,
        document_id=doc.document_id[:128],
        order_number="",
        erp_number=doc.erp_number[:64],
        version=doc.version[:64],
        status=status,
        error=error,
    )


def _unknown_order_error(doc):
    return _("No order with the number %(number)s in this shop: skipped.") % {
        "number": doc.document_id or doc.number or "-"
    }


def _listed(numbers):
    shown = ", ".join(numbers[:LISTED])
    if len(numbers) > LISTED:
        shown += " " + _("and %(count)s more") % {"count": len(numbers) - LISTED}
    return shown


def _unknown_orders_text(numbers):
    return ngettext(
        "%(count)s document names an order this shop does not have: %(numbers)s",
        "%(count)s documents name orders this shop does not have: %(numbers)s",
        len(numbers),
    ) % {"count": len(numbers), "numbers": _listed(numbers)}


def _refuse_unknown_orders(record, unknown):
    """``EXCHANGE_UNKNOWN_ORDERS_FATAL``: log each unknown order, fail the file, and apply none of it."""
    ExchangeDocument.objects.bulk_create(
        _document_row(record, doc, ExchangeDocument.FAILED, _unknown_order_error(doc)) for doc in unknown
    )
    numbers = [doc.document_id or doc.number or "-" for doc in unknown]
    message = _("%(problem)s; so none of the file was applied.") % {"problem": _unknown_orders_text(numbers)}
    ExchangeFile.objects.filter(pk=record.pk).update(
        status=ExchangeFile.FAILED, error=message, documents_failed=len(unknown)
    )
    raise ExchangeRefused(message)


def warnings(records):
    """The ``warning:`` lines for the files' skipped and failed documents (none when all went well).

    The word ``warning:`` stays untranslated: it is for the accounting
    system's operator and for scripts alike.
    """
    documents = ExchangeDocument.objects.filter(file__in=records).order_by("file_id", "position")
    skipped = list(documents.filter(status=ExchangeDocument.SKIPPED).values_list("document_id", flat=True))
    failed = list(documents.filter(status=ExchangeDocument.FAILED).values_list("document_id", "error"))
    lines = []
    if skipped:
        lines.append("warning: " + _unknown_orders_text(skipped))
    if failed:
        numbers = [number or "-" for number, _error in failed]
        lines.append(
            "warning: "
            + ngettext(
                "%(count)s document could not be applied: %(numbers)s",
                "%(count)s documents could not be applied: %(numbers)s",
                len(failed),
            )
            % {"count": len(failed), "numbers": _listed(numbers)}
        )
        for number, error in failed[:EXPLAINED]:
            lines.append("warning: " + f"{number or '-'}: " + " ".join(error.split()))
    return lines
