"""The exchange's public API: sessions, the export marker, uploads and step-wise imports.

The HTTP view calls these; so can a shop's own code (e.g. importing a file
dropped on disk). Every refusal is an ``ExchangeRefused`` with a message fit
for the ``failure`` reply.
"""

import base64
import binascii
import hashlib
import logging
import os
import secrets
import time
from datetime import timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from erp_sync.exchange import commerceml, mapping, storage
from erp_sync.exchange.settings import exchange_settings

ExchangeSession = get_model("erp_sync", "ExchangeSession")
ExchangeEvent = get_model("erp_sync", "ExchangeEvent")
ExchangeFile = get_model("erp_sync", "ExchangeFile")
ExchangeDocument = get_model("erp_sync", "ExchangeDocument")
ExportMarker = get_model("erp_sync", "ExportMarker")

PERMISSION_APP, PERMISSION_CODENAME = "erp_sync", "exchange_orders"
SALE = "sale"

logger = logging.getLogger(__name__)


class ExchangeRefused(Exception):
    """A request the exchange answers with ``failure``; the message says why."""


# --- Who is calling ---------------------------------------------------------


def basic_credentials(header):
    """(username, password) from an ``Authorization: Basic`` header, or None."""
    if not header:
        return None
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    for encoding in ("utf-8", "cp1251"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    username, sep, password = text.partition(":")
    return (username, password) if sep else None


def is_exchange_user(user):
    """The dedicated exchange user: active, named as configured, holding the permission explicitly."""
    if user is None or not user.is_active:
        return False
    wanted = exchange_settings.EXCHANGE_USERNAME
    if wanted and not constant_time_compare(user.get_username(), wanted):
        return False
    return Permission.objects.filter(
        Q(user=user) | Q(group__user=user),
        codename=PERMISSION_CODENAME,
        content_type__app_label=PERMISSION_APP,
    ).exists()


def authenticate_exchange(request):
    """The exchange user the request's Basic credentials name, or ``ExchangeRefused``."""
    credentials = basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    if credentials is None:
        raise ExchangeRefused(_("Authentication required (HTTP Basic)."))
    username, password = credentials
    # Django compares password hashes in constant time and hashes anyway for
    # an unknown user, so the reply's timing does not tell which part was wrong.
    user = authenticate(request, username=username, password=password)
    if user is None or not is_exchange_user(user):
        raise ExchangeRefused(_("Wrong user name or password, or the user may not exchange."))
    return user


def _hash(token):
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(user, *, exchange_type=SALE, remote_addr=None, now=None):
    """A new session for ``user``; returns (session, cookie value)."""
    token = secrets.token_urlsafe(32)
    now = now or timezone.now()
    session = ExchangeSession.objects.create(
        token_hash=_hash(token),
        user=user,
        username=user.get_username(),
        exchange_type=exchange_type,
        remote_addr=remote_addr,
        created_at=now,
        last_seen_at=now,
    )
    return session, token


def session_for_request(request, *, exchange_type=SALE, now=None):
    """The session the request's cookie names, checked against its user; or ``ExchangeRefused``."""
    token = request.COOKIES.get(exchange_settings.EXCHANGE_COOKIE_NAME)
    if not token:
        raise ExchangeRefused(_("No exchange session: call checkauth first."))
    session = ExchangeSession.objects.select_related("user").filter(token_hash=_hash(token)).first()
    now = now or timezone.now()
    if session is None:
        raise ExchangeRefused(_("Unknown exchange session: call checkauth again."))
    if session.exchange_type != exchange_type:
        raise ExchangeRefused(_("The session was opened for another exchange type."))
    if session.status == ExchangeSession.CLOSED or session.created_at < now - timedelta(
        hours=exchange_settings.EXCHANGE_SESSION_HOURS
    ):
        raise ExchangeRefused(_("The exchange session has expired: call checkauth again."))
    if not is_exchange_user(session.user):
        raise ExchangeRefused(_("The session's user may no longer exchange."))
    # Credentials sent along with the cookie must be the session's own.
    credentials = basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    if credentials is not None:
        if not constant_time_compare(credentials[0], session.username):
            raise ExchangeRefused(_("The session belongs to another user."))
        if authenticate(request, username=credentials[0], password=credentials[1]) is None:
            raise ExchangeRefused(_("Wrong user name or password, or the user may not exchange."))
    ExchangeSession.objects.filter(pk=session.pk).update(last_seen_at=now)
    return session


def log_event(result, *, session=None, mode="", exchange_type="", filename="", message="", remote_addr=None):
    return ExchangeEvent.objects.create(
        session=session,
        mode=mode[:16],
        exchange_type=exchange_type[:16],
        filename=filename[:255],
        result=result,
        message=message,
        remote_addr=remote_addr,
    )


# --- init, query, success -------------------------------------------------------


def init_session(session, *, version=""):
    """Empty the session's working directory and say what the shop accepts."""
    storage.clear_session_dir(session)
    session.version = (version or "")[:16]
    session.initialized_at = timezone.now()
    session.save(update_fields=["version", "initialized_at"])
    return {
        "zip": "yes" if exchange_settings.EXCHANGE_ZIP else "no",
        "file_limit": exchange_settings.EXCHANGE_FILE_LIMIT,
    }


def begin_export(session, *, now=None):
    """Fix the window of this query: after the acknowledged marker, up to now. Returns (since, until)."""
    now = now or timezone.now()
    marker = ExportMarker.objects.filter(exchange_type=session.exchange_type).first()
    since = marker.exported_until if marker is not None else None
    ExchangeSession.objects.filter(pk=session.pk).update(
        export_since=since, export_until=now, queried_at=now, exported_orders=0
    )
    session.export_since, session.export_until, session.queried_at = since, now, now
    return since, now


def record_exported(session, count):
    ExchangeSession.objects.filter(pk=session.pk).update(exported_orders=count)


def acknowledge(session, *, now=None):
    """``mode=success``: move the marker to the end of this session's last query window.

    Returns the new marker value, or None when the session has not queried.
    A marker never moves back (an old session acknowledging late changes nothing).
    """
    session.refresh_from_db(fields=["export_until"])
    if session.export_until is None:
        return None
    now = now or timezone.now()
    try:
        with transaction.atomic():
            ExportMarker.objects.get_or_create(exchange_type=session.exchange_type)
    except IntegrityError:
        pass  # another session created it meanwhile
    with transaction.atomic():
        marker = ExportMarker.objects.select_for_update().get(exchange_type=session.exchange_type)
        if marker.exported_until is None or marker.exported_until < session.export_until:
            marker.exported_until = session.export_until
            marker.session = session
            marker.save()
        ExchangeSession.objects.filter(pk=session.pk).update(status=ExchangeSession.ACKNOWLEDGED, acknowledged_at=now)
    return marker.exported_until


# --- Files ------------------------------------------------------------------


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


def _unpack_archives(session, directory):
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


def import_step(session, filename, *, budget=None):
    """One step of ``mode=import``: returns ("progress" | "success", message) or raises ``ExchangeRefused``.

    The file is validated whole before its first document is applied (a
    truncated or hostile file changes nothing); documents are then applied in
    order until ``budget`` seconds have passed, the position saved with them.
    """
    budget = exchange_settings.EXCHANGE_STEP_SECONDS if budget is None else budget
    started = time.monotonic()
    try:
        name = storage.clean_name(filename)
    except storage.StorageError as error:
        raise ExchangeRefused(str(error)) from error
    directory = storage.session_dir(session)
    _unpack_archives(session, directory)
    archive = current_file(session, name)
    if name.lower().endswith(".zip"):
        if archive is None:
            raise ExchangeRefused(_("No file %(name)s was received in this session.") % {"name": name})
        targets = [member for member in storage.zip_members(directory, name) if member.lower().endswith(".xml")]
    else:
        targets = [name]
    for target in targets:
        result = _import_file(session, directory, target, started, budget)
        if result is not None:
            return result
    return "success", _("Import finished.")


def _import_file(session, directory, name, started, budget):
    record = current_file(session, name)
    if record is None:
        raise ExchangeRefused(_("No file %(name)s was received in this session.") % {"name": name})
    if record.status == ExchangeFile.IMPORTED:
        return None
    if record.status == ExchangeFile.FAILED:
        raise ExchangeRefused(record.error)
    path = storage.path_in(directory, name)
    if record.status == ExchangeFile.RECEIVING:
        try:
            total = commerceml.validate(path)
            problems = mapping.precheck(commerceml.iter_documents(path))
        except (commerceml.CommerceMLError, OSError) as error:
            ExchangeFile.objects.filter(pk=record.pk).update(status=ExchangeFile.FAILED, error=str(error))
            raise ExchangeRefused(str(error)) from error
        if problems:
            _refuse_documents(record, problems)
        ExchangeFile.objects.filter(pk=record.pk, status=ExchangeFile.RECEIVING).update(
            status=ExchangeFile.IMPORTING, documents_total=total
        )
    # One step is one transaction with the file's row locked: two concurrent
    # steps cannot apply the same document, and the saved position always
    # matches the documents applied (each in its own savepoint).
    with transaction.atomic():
        record = ExchangeFile.objects.select_for_update().get(pk=record.pk)
        if record.status != ExchangeFile.IMPORTING:
            return None
        applied_now = 0
        documents = commerceml.iter_documents(path, start=record.documents_done)
        for doc in documents:
            if applied_now and time.monotonic() - started > budget:
                documents.close()  # closes the file now, not at garbage collection
                break
            outcome = mapping.apply_document(doc)
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
            record.documents_done = doc.position + 1
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


def _refuse_documents(record, problems):
    """Log why each bad document cannot be applied, fail the file, and apply none of it."""
    ExchangeDocument.objects.bulk_create(
        ExchangeDocument(
            file=record,
            position=doc.position,
            document_id=doc.document_id[:128],
            order_number="",
            erp_number=doc.erp_number[:64],
            version=doc.version[:64],
            status=ExchangeDocument.FAILED,
            error=error,
        )
        for doc, error in problems
    )
    shown = "; ".join(
        _("document %(position)s (%(id)s): %(error)s")
        % {"position": doc.position + 1, "id": doc.document_id or "-", "error": error}
        for doc, error in problems[:5]
    )
    message = _("%(count)s document(s) cannot be applied, so none of the file was: %(problems)s") % {
        "count": len(problems),
        "problems": shown,
    }
    ExchangeFile.objects.filter(pk=record.pk).update(
        status=ExchangeFile.FAILED, error=message, documents_failed=len(problems)
    )
    raise ExchangeRefused(message)


def import_all(session, filename):
    """Import a file to the end in one call (the protocol without a version at ``init``)."""
    while True:
        status, message = import_step(session, filename, budget=float("inf"))
        if status == "success":
            return message
