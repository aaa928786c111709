"""The shop's client of the accounting system's loyalty web service.

The only module that imports zeep. Callers get plain dataclasses back and one
family of exceptions: ``ErpUnavailable`` (worth retrying later: the service
is down, slow or answered with a server error) and ``ErpRejected`` (retrying
the same request will not help: bad credentials, a client fault).
"""

import functools
import threading
from dataclasses import dataclass
from datetime import datetime

import requests
from django.utils.translation import gettext as _
from lxml import etree
from zeep import Client, Settings
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError
from zeep.transports import Transport

from erp_sync.soap import BINDINGS, WSDL_PATH
from erp_sync.soap.settings import soap_settings


class ErpError(Exception):
    """Something went wrong talking to the accounting system."""

    retryable = True

    def __init__(self, message, *, code=""):
        super().__init__(message)
        self.message = message
        self.code = code


class ErpUnavailable(ErpError):
    """The service could not be reached or failed on its side: try again later."""


class ErpTimeout(ErpUnavailable):
    """The service did not answer within ``ERP_SYNC_SOAP_TIMEOUT``."""


class ErpRejected(ErpError):
    """The service refused the request; sending it again unchanged will not help."""

    retryable = False


class ErpNotConfigured(ErpRejected):
    """``ERP_SYNC_SOAP_URL`` is not set."""


# --- What the service returns ---------------------------------------------------


@dataclass(frozen=True)
class Movement:
    key: str
    customer: str
    card: str
    points: int
    kind: str
    order: str
    date: datetime


@dataclass(frozen=True)
class MovementResult:
    APPLIED, DUPLICATE, REJECTED, SKIPPED = "applied", "duplicate", "rejected", "skipped"

    key: str
    status: str
    message: str

    @property
    def delivered(self):
        """The service holds the movement (now, or from an earlier call with the same key)."""
        return self.status in (self.APPLIED, self.DUPLICATE)


@dataclass(frozen=True)
class Balance:
    customer: str
    known: bool
    points: int


@dataclass(frozen=True)
class Correction:
    id: str
    customer: str
    points: int
    reason: str
    accountant: str
    date: datetime


@dataclass(frozen=True)
class Status:
    id: str
    customer: str
    tier: str
    until: datetime | None
    reason: str
    accountant: str
    date: datetime


@dataclass(frozen=True)
class Page:
    """Changes after a cursor, and the cursor to ask with next time."""

    cursor: str
    items: tuple


@dataclass(frozen=True)
class OrderBonus:
    order: str
    customer: str
    paid: int
    accrued: int


# --- The client ---------------------------------------------------------------------


class LoyaltyService:
    """One configured connection to the web service; every call has a timeout."""

    def __init__(self, url, *, username="", password="", version="1.1", timeout=30, wsdl=None):
        if not url:
            raise ErpNotConfigured(_("The accounting system's web service address is not set (ERP_SYNC_SOAP_URL)."))
        if version not in BINDINGS:
            raise ErpNotConfigured(_("Unknown SOAP version: %(version)s.") % {"version": version})
        self.url = url
        self.timeout = timeout
        session = requests.Session()
        if username:
            session.auth = requests.auth.HTTPBasicAuth(username, password)
        # timeout: loading the WSDL (when it is a URL); operation_timeout: each call.
        transport = Transport(session=session, timeout=timeout, operation_timeout=timeout)
        client = Client(
            str(wsdl or WSDL_PATH),
            transport=transport,
            settings=Settings(strict=True, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True),
        )
        # The WSDL's address is the accounting system's internal host name: use ours.
        self._service = client.create_service(BINDINGS[version], url)
        self._client = client

    def _call(self, operation, **kwargs):
        try:
            return getattr(self._service, operation)(**kwargs)
        except Fault as fault:
            code = _fault_code(fault)
            if not code:
                # zeep's answer to an HTTP error whose body is no SOAP fault (a proxy's error page).
                raise ErpUnavailable(
                    _("The accounting system answered with an error page, not a SOAP fault.")
                ) from fault
            message = fault.message or _("The accounting system reported an error.")
            if code.lower().endswith(("client", "sender")):
                raise ErpRejected(message, code=code) from fault
            raise ErpUnavailable(message, code=code) from fault
        except requests.Timeout as exc:
            raise ErpTimeout(
                _("The accounting system did not answer within %(seconds)s seconds.") % {"seconds": self.timeout}
            ) from exc
        except requests.RequestException as exc:
            raise ErpUnavailable(
                _("The accounting system cannot be reached: %(error)s") % {"error": exc.__class__.__name__}
            ) from exc
        except TransportError as exc:
            if exc.status_code in (401, 403):
                message = _("The accounting system refused the credentials (HTTP %(status)s).")
                raise ErpRejected(message % {"status": exc.status_code}, code=str(exc.status_code)) from exc
            message = _("The accounting system's answer is not a SOAP message (HTTP %(status)s).")
            raise ErpUnavailable(message % {"status": exc.status_code}, code=str(exc.status_code)) from exc
        except (ZeepError, etree.XMLSyntaxError) as exc:
            raise ErpUnavailable(
                _("The accounting system's answer could not be read: %(error)s") % {"error": exc}
            ) from exc

    def push_movements(self, movements):
        """Send movements (in order); returns one ``MovementResult`` per movement, in the same order."""
        movements = list(movements)
        if not movements:
            return []
        result = self._call(
            "PushMovements",
            Movements={
                "Movement": [
                    {
                        "Key": m.key,
                        "Customer": m.customer,
                        "Card": m.card,
                        "Points": m.points,
                        "Kind": m.kind,
                        "Order": m.order or "",
                        "Date": m.date,
                    }
                    for m in movements
                ]
            },
        )
        items = [MovementResult(i.Key, i.Status, i.Message or "") for i in _items(result, "Item")]
        if [i.key for i in items] != [m.key for m in movements]:
            raise ErpUnavailable(_("The accounting system answered for other movements than were sent."))
        return items

    def get_balance(self, customer):
        b = self._call("GetBalance", Customer=customer)
        return Balance(b.Customer, bool(b.Known), int(b.Points))

    def get_balances(self, customers):
        """Balances of the given customers; an empty list asks for every customer the service knows."""
        result = self._call("GetBalances", Customers={"Customer": list(customers)})
        return [Balance(b.Customer, bool(b.Known), int(b.Points)) for b in _items(result, "Balance")]

    def get_corrections(self, cursor, limit):
        result = self._call("GetCorrections", Cursor=cursor or "", Limit=limit)
        items = tuple(
            Correction(c.Id, c.Customer, int(c.Points), c.Reason or "", c.Accountant or "", c.Date)
            for c in result.Correction
        )
        return Page(result.Cursor or "", items)

    def get_statuses(self, cursor, limit):
        result = self._call("GetStatuses", Cursor=cursor or "", Limit=limit)
        items = tuple(
            Status(s.Id, s.Customer, s.Tier or "", s.Until, s.Reason or "", s.Accountant or "", s.Date)
            for s in result.Status
        )
        return Page(result.Cursor or "", items)

    def get_order_bonuses(self, orders):
        """What the service holds per order; an empty list asks for every order it knows."""
        result = self._call("GetOrderBonuses", Orders={"Order": list(orders)})
        return [
            OrderBonus(o.Order, o.Customer or "", int(o.Paid), int(o.Accrued)) for o in _items(result, "OrderBonus")
        ]


def _items(result, name):
    """A repeated element: zeep returns a wrapper holding nothing else as the list itself."""
    if result is None:
        return []
    if isinstance(result, list):
        return result
    return getattr(result, name, None) or []


def _fault_code(fault):
    code = fault.code
    if code is None:
        return ""
    if hasattr(code, "localname"):
        return code.localname
    return str(code).rsplit(":", 1)[-1].rsplit("}", 1)[-1]


_lock = threading.Lock()


@functools.lru_cache(maxsize=4)
def _cached(url, username, password, version, timeout, wsdl):
    return LoyaltyService(url, username=username, password=password, version=version, timeout=timeout, wsdl=wsdl)


def get_service():
    """The service as the settings describe it (the parsed WSDL is reused between calls)."""
    s = soap_settings
    with _lock:
        return _cached(s.SOAP_URL, s.SOAP_USERNAME, s.SOAP_PASSWORD, s.SOAP_VERSION, s.SOAP_TIMEOUT, s.SOAP_WSDL)
