"""The shop's client of the accounting system's loyalty web service.

The only module that imports zeep. Callers get plain dataclasses back and one
family of exceptions: ``ErpUnavailable`` (worth retrying later: the service
is down, slow or answered with a server error) and ``ErpRejected`` (retrying
the same request will not help: bad credentials, a client fault).
"""

import contextlib
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
from zeep.xsd import CompoundValue

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
        transport = _WellFormedTransport(session=session, timeout=timeout, operation_timeout=timeout)
        # Not strict: an element the accounting system added to a response type is skipped, as a client
        # that reads what it knows does; what the shop needs is checked after parsing (_required, _points).
        # Not strict would also let lxml recover a broken document: the transport refuses those first.
        settings = Settings(strict=False, xml_huge_tree=False, forbid_dtd=True, forbid_entities=True)
        # Loading a WSDL given as a URL fails as a call does (wrong credentials, nobody listening).
        with self._failures():
            client = Client(str(wsdl or WSDL_PATH), transport=transport, settings=settings)
        # The WSDL's address is the accounting system's internal host name: use ours.
        self._service = client.create_service(BINDINGS[version], url)
        self._client = client

    def _call(self, operation, **kwargs):
        with self._failures():
            result = getattr(self._service, operation)(**kwargs)
        # zeep hands back ``return`` itself, unless the wrapper holds an element it does not know.
        if isinstance(result, CompoundValue) and "return" in result:
            return result["return"]
        return result

    @contextlib.contextmanager
    def _failures(self):
        """Turn what zeep and requests raise into ``ErpUnavailable`` or ``ErpRejected``."""
        try:
            yield
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
        except requests.HTTPError as exc:
            # Loading the WSDL: zeep lets the HTTP error of the GET through.
            status = exc.response.status_code if exc.response is not None else 0
            if status in (401, 403):
                message = _("The accounting system refused the credentials (HTTP %(status)s).")
                raise ErpRejected(message % {"status": status}, code=str(status)) from exc
            raise ErpUnavailable(
                _("The accounting system answered with HTTP %(status)s.") % {"status": status}, code=str(status)
            ) from exc
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
            raise _unreadable(exc) from exc

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
        items = [
            MovementResult(_required(i.Key, "Key"), _required(i.Status, "Status"), i.Message or "")
            for i in _items(result, "Item")
        ]
        if [i.key for i in items] != [m.key for m in movements]:
            raise ErpUnavailable(_("The accounting system answered for other movements than were sent."))
        return items

    def get_balance(self, customer):
        return _balance(_required(self._call("GetBalance", Customer=customer), "return"))

    def get_balances(self, customers):
        """Balances of the given customers; an empty list asks for every customer the service knows."""
        result = self._call("GetBalances", Customers={"Customer": list(customers)})
        return [_balance(b) for b in _items(result, "Balance")]

    def get_corrections(self, cursor, limit):
        result = _required(self._call("GetCorrections", Cursor=cursor or "", Limit=limit), "return")
        items = tuple(
            Correction(
                _required(c.Id, "Id"),
                _required(c.Customer, "Customer"),
                _points(c.Points, _("the points of correction %(id)s") % {"id": c.Id}),
                c.Reason or "",
                c.Accountant or "",
                _required(c.Date, "Date"),
            )
            for c in result.Correction or ()
        )
        return _page(result, items)

    def get_statuses(self, cursor, limit):
        result = _required(self._call("GetStatuses", Cursor=cursor or "", Limit=limit), "return")
        items = tuple(
            Status(
                _required(s.Id, "Id"),
                _required(s.Customer, "Customer"),
                s.Tier or "",
                s.Until,
                s.Reason or "",
                s.Accountant or "",
                _required(s.Date, "Date"),
            )
            for s in result.Status or ()
        )
        return _page(result, items)

    def get_order_bonuses(self, orders):
        """What the service holds per order; an empty list asks for every order it knows."""
        result = self._call("GetOrderBonuses", Orders={"Order": list(orders)})
        return [_order_bonus(o) for o in _items(result, "OrderBonus")]


class _WellFormedTransport(Transport):
    """zeep's transport, refusing a document that is not well-formed XML before zeep reads it.

    zeep parses with lxml's recovering parser when it is not strict, which would
    turn a truncated answer into a shorter one (a list of balances missing its
    tail). A broken answer fails as it does in strict mode.
    """

    def load(self, url):
        content = super().load(url)
        _well_formed(content)
        return content

    def post_xml(self, address, envelope, headers):
        response = super().post_xml(address, envelope, headers)
        try:
            _well_formed(response.content)
        except etree.XMLSyntaxError as exc:
            raise TransportError(
                f"Server returned response ({response.status_code}) with invalid XML: {exc}",
                status_code=response.status_code,
                content=response.content,
            ) from exc
        return response


def _well_formed(content):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    etree.fromstring(content, parser)


# --- Reading answers ------------------------------------------------------------------

# The figures the shop stores (BigIntegerField): anything beyond them cannot be a balance.
POINTS_MIN, POINTS_MAX = -(2**63), 2**63 - 1


def _unreadable(error):
    return ErpUnavailable(_("The accounting system's answer could not be read: %(error)s") % {"error": error})


def _required(value, name):
    """A value the schema requires; zeep reads a missing one as None when it is not strict."""
    if value is None:
        raise _unreadable(_("%(name)s is missing.") % {"name": name})
    return value


def _points(value, what):
    """A figure of points: zeep reads a missing or unparseable ``long`` as None; Python's int has no limit."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise _unreadable(_("%(what)s are missing or not a whole number.") % {"what": what})
    if not POINTS_MIN <= value <= POINTS_MAX:
        raise _unreadable(
            _("%(what)s (%(value)s) are beyond what the shop can store.") % {"what": what, "value": value}
        )
    return value


def _balance(b):
    customer = _required(b.Customer, "Customer")
    known = _required(b.Known, _("Known (customer %(customer)s)") % {"customer": customer})
    points = _points(b.Points, _("the points of customer %(customer)s") % {"customer": customer})
    return Balance(customer, bool(known), points)


def _order_bonus(o):
    order = _required(o.Order, "Order")
    return OrderBonus(
        order,
        o.Customer or "",
        _points(o.Paid, _("the points paid for order %(order)s") % {"order": order}),
        _points(o.Accrued, _("the points accrued for order %(order)s") % {"order": order}),
    )


def _page(result, items):
    # An empty cursor reads as None; a page with changes must say where it ends.
    if items and not result.Cursor:
        raise _unreadable(_("%(name)s is missing.") % {"name": "Cursor"})
    return Page(result.Cursor or "", items)


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
