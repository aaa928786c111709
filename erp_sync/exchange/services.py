"""The exchange's public API: sessions, the export marker, uploads and step-wise imports.

The HTTP view calls these; so can a shop's own code (e.g. importing a file
dropped on disk). Every refusal is an ``ExchangeRefused`` with a message fit
for the ``failure`` reply. Uploads and imports live in ``uploads`` and are
offered here under the same names.
"""

import base64
import binascii
import dataclasses
import hashlib
import logging
import secrets
from datetime import timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.models import Permission
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from erp_sync.exchange import export, storage, throttle
from erp_sync.exchange.catalogue import exchange as catalogue_exchange
from erp_sync.exchange.exceptions import ExchangeRefused, TooManyAttempts
from erp_sync.exchange.settings import exchange_settings
from erp_sync.exchange.uploads import (
    current_file,
    document_limits,
    import_all,
    import_step,
    import_when_complete,
    receive_file,
)

ExchangeSession = get_model("erp_sync", "ExchangeSession")
ExchangeEvent = get_model("erp_sync", "ExchangeEvent")
ExportMarker = get_model("erp_sync", "ExportMarker")

__all__ = [
    "ExchangeRefused",
    "ExportWindow",
    "TooManyAttempts",
    "acknowledge",
    "authenticate_exchange",
    "basic_credentials",
    "begin_export",
    "check_password",
    "current_file",
    "document_limits",
    "import_all",
    "import_catalogue_step",
    "import_step",
    "import_when_complete",
    "init_session",
    "is_exchange_user",
    "log_event",
    "receive_file",
    "record_exported",
    "session_for_request",
    "start_session",
]

PERMISSION_APP, PERMISSION_CODENAME = "erp_sync", "exchange_orders"
SALE = "sale"
CATALOG = "catalog"

logger = logging.getLogger(__name__)


# --- Who is calling ---------------------------------------------------------


def basic_credentials(header):
    """(username, password) from an ``Authorization: Basic`` header, or None.

    1C sends them in UTF-8 or, older versions, in windows-1251; a value in
    neither is refused (``ExchangeRefused``), not guessed at.
    """
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
    else:
        raise ExchangeRefused(_("The user name and password are neither UTF-8 nor windows-1251 text."))
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


def check_password(request, username, password):
    """The user whose password this is, or None; refuses (``TooManyAttempts``) once failures pass the limits.

    Every attempt counts against the client's address and the user name
    before the password is checked; a right password takes its count back,
    so only failures add up, and one address's success clears nothing of another's.
    """
    attempt = throttle.begin(request.META.get("REMOTE_ADDR") or None, username)
    if attempt.blocked:
        raise TooManyAttempts(
            _("Too many failed logins; try again in %(minutes)s minutes.") % {"minutes": attempt.retry_after_minutes},
            retry_after_seconds=attempt.retry_after_seconds,
        )
    # Django compares password hashes in constant time and hashes anyway for
    # an unknown user, so the reply's timing does not tell which part was wrong.
    user = authenticate(request, username=username, password=password)
    if user is not None:
        throttle.succeeded(attempt)
    return user


def authenticate_exchange(request):
    """The exchange user the request's Basic credentials name, or ``ExchangeRefused``."""
    credentials = basic_credentials(request.META.get("HTTP_AUTHORIZATION", ""))
    if credentials is None:
        raise ExchangeRefused(_("Authentication required (HTTP Basic)."))
    username, password = credentials
    user = check_password(request, username, password)
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
        if check_password(request, credentials[0], credentials[1]) is None:
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


def import_catalogue_step(session, filename, *, budget=None):
    """One step of ``type=catalog&mode=import``: ("progress" | "success", message), or ``ExchangeRefused``."""
    return catalogue_exchange.import_step(session, filename, budget=budget)


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


ExportWindow = export.ExportWindow

#: The tables an export reaches by id: a session stores ``export_after_<name>`` and ``export_upto_<name>``
#: of each, the marker ``exported_<name>``.
POSITIONS = [field.name for field in dataclasses.fields(export.Positions)]


def begin_export(session, *, now=None):
    """Fix the window of this query: after the acknowledged marker, up to now and the settled rows.

    How far the journal, the orders and their status changes reach is
    :func:`export.settled_positions`: when a transaction writing one of them
    does not end in ``EXCHANGE_SETTLE_SECONDS``, the query is refused
    (``failure``) and nothing moves.

    The window is stored on the session: ``success`` commits exactly what
    this query sent, even if more was written meanwhile.
    """
    now = now or timezone.now()
    marker = ExportMarker.objects.filter(exchange_type=session.exchange_type).first()
    upto = export.settled_positions(exchange_settings.EXCHANGE_SETTLE_SECONDS)
    if upto is None:
        raise ExchangeRefused(_("Orders or points are still being written; the next exchange will send them."))
    after = export.Positions(**{name: getattr(marker, f"exported_{name}", None) for name in POSITIONS})
    window = ExportWindow(since=getattr(marker, "exported_until", None), until=now, after=after, upto=upto)
    fields = {"export_since": window.since, "export_until": now, "queried_at": now}
    for name in POSITIONS:
        fields[f"export_after_{name}"], fields[f"export_upto_{name}"] = getattr(after, name), getattr(upto, name)
    ExchangeSession.objects.filter(pk=session.pk).update(exported_orders=0, **fields)
    for name, value in fields.items():
        setattr(session, name, value)
    return window


def record_exported(session, count):
    ExchangeSession.objects.filter(pk=session.pk).update(exported_orders=count)


def acknowledge(session, *, now=None):
    """``mode=success``: move the marker to the end of this session's last query window.

    Returns the new marker value, or None when the session has not queried.
    A marker never moves back (an old session acknowledging late changes nothing).
    """
    session.refresh_from_db(fields=["export_until", *(f"export_upto_{name}" for name in POSITIONS)])
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
        changed = False
        if marker.exported_until is None or marker.exported_until < session.export_until:
            marker.exported_until = session.export_until
            changed = True
        for name in POSITIONS:
            upto, acknowledged = getattr(session, f"export_upto_{name}"), getattr(marker, f"exported_{name}")
            if upto is not None and (acknowledged is None or acknowledged < upto):
                setattr(marker, f"exported_{name}", upto)
                changed = True
        if changed:
            marker.session = session
            marker.save()
        ExchangeSession.objects.filter(pk=session.pk).update(status=ExchangeSession.ACKNOWLEDGED, acknowledged_at=now)
    return marker.exported_until
