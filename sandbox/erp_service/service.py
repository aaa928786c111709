"""A reference accounting system's loyalty web service: SOAP 1.1 and 1.2 over the packaged WSDL.

A plain WSGI application (lxml, no SOAP framework) standing in for a 1C base
that publishes the service: requests are validated against the WSDL's schema,
movements are applied once per key, accountants' corrections and tier
assignments are served after a cursor. ``control`` lets tests make it fail,
hang or refuse particular movements.
"""

import base64
import hmac
import threading
import time
from dataclasses import dataclass, field

from lxml import etree

from erp_sync.soap import NAMESPACE, OPERATIONS, WSDL_PATH
from sandbox.erp_service.store import Store

SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
MAX_BODY = 5 * 1024 * 1024
CONTENT_TYPES = {SOAP11: "text/xml; charset=utf-8", SOAP12: "application/soap+xml; charset=utf-8"}


class SoapFault(Exception):
    def __init__(self, message, *, client=False, status=500):
        super().__init__(message)
        self.message = message
        self.client = client
        self.status = status


@dataclass
class Control:
    """How the service misbehaves, for tests and demonstrations."""

    # Seconds to wait before answering any call.
    delay: float = 0
    # "" (work normally), "fault" (a SOAP server fault), "http503", "garbage" (not XML).
    fail: str = ""
    # PushMovements: apply the movements, then wait this long before answering.
    hang_after_apply: float = 0
    # Movement keys this accounting system refuses, with the reason.
    reject: dict = field(default_factory=dict)
    # PushMovements: movement keys answered with this status whatever the books did with them (a status
    # outside the contract, or "skipped" with nothing rejected).
    answer: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)


def _parser():
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=True
    )


def _load_schema():
    wsdl = etree.parse(str(WSDL_PATH), _parser())
    schema = wsdl.find(f"{{{WSDL_NS}}}types/{{{XSD_NS}}}schema")
    return etree.XMLSchema(schema)


class LoyaltyService:
    """The WSGI application."""

    def __init__(self, store_path, *, username="", password=""):
        self.store = Store(store_path)
        self.username = username
        self.password = password
        self.control = Control()
        self._schema = _load_schema()
        self._schema_lock = threading.Lock()

    # --- WSGI ---

    def __call__(self, environ, start_response):
        status, headers, body = self.handle(
            method=environ.get("REQUEST_METHOD", "GET"),
            query=environ.get("QUERY_STRING", ""),
            authorization=environ.get("HTTP_AUTHORIZATION", ""),
            body=_read_body(environ),
            base_url=_base_url(environ),
        )
        start_response(status, headers)
        return [body]

    def handle(self, *, method, query, authorization, body, base_url):
        """(status line, headers, body bytes) for one HTTP request."""
        if not self._authorized(authorization):
            return "401 Unauthorized", [("WWW-Authenticate", 'Basic realm="1C"'), ("Content-Type", "text/plain")], b""
        if method == "GET" and query.lower() == "wsdl":
            return "200 OK", [("Content-Type", "text/xml; charset=utf-8")], self.wsdl(base_url)
        if method != "POST":
            return "405 Method Not Allowed", [("Allow", "GET, POST"), ("Content-Type", "text/plain")], b""
        if self.control.delay:
            time.sleep(self.control.delay)
        if self.control.fail == "http503":
            return "503 Service Unavailable", [("Content-Type", "text/html")], b"<html>Service Unavailable</html>"
        if self.control.fail == "garbage":
            return "200 OK", [("Content-Type", "text/xml")], b"<html><body>1C:Enterprise error"
        version = SOAP11
        try:
            if body is None:
                raise SoapFault("The request is too large.", client=True)
            envelope = self._parse(body)
            version = etree.QName(envelope).namespace
            operation, request = self._operation(envelope)
            self.control.calls.append(operation)
            if self.control.fail == "fault":
                raise SoapFault("Infobase is locked for maintenance.")
            response = getattr(self, f"op_{operation}")(request)
        except SoapFault as fault:
            return f"{fault.status} Error", [("Content-Type", CONTENT_TYPES[version])], _fault(version, fault)
        return "200 OK", [("Content-Type", CONTENT_TYPES[version])], _envelope(version, response)

    def wsdl(self, base_url):
        tree = etree.parse(str(WSDL_PATH), _parser())
        for address in tree.iter("{*}address"):
            address.set("location", base_url)
        return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")

    def _authorized(self, header):
        if not self.username:
            return True
        expected = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return hmac.compare_digest(header.encode(), expected.encode())

    def _parse(self, body):
        try:
            root = etree.fromstring(body, _parser())
        except etree.XMLSyntaxError as exc:
            raise SoapFault(f"Malformed XML: {exc}", client=True) from None
        if root.getroottree().docinfo.doctype:
            raise SoapFault("Document type declarations are not accepted.", client=True)
        if etree.QName(root).localname != "Envelope" or etree.QName(root).namespace not in (SOAP11, SOAP12):
            raise SoapFault("Not a SOAP envelope.", client=True)
        return root

    def _operation(self, envelope):
        ns = etree.QName(envelope).namespace
        body = envelope.find(f"{{{ns}}}Body")
        if body is None or len(body) != 1:
            raise SoapFault("The SOAP body must hold exactly one operation.", client=True)
        request = body[0]
        name = etree.QName(request)
        if name.namespace != NAMESPACE or name.localname not in OPERATIONS:
            raise SoapFault(f"Unknown operation {name.text}.", client=True)
        with self._schema_lock:
            valid = self._schema.validate(request)
            error = self._schema.error_log.last_error
        if not valid:
            raise SoapFault(f"Invalid {name.localname} request: {error.message if error else ''}", client=True)
        return name.localname, request

    # --- Operations ---

    def op_PushMovements(self, request):
        movements = [
            {
                "key": _text(m, "Key"),
                "customer": _text(m, "Customer"),
                "card": _text(m, "Card"),
                "points": int(_text(m, "Points")),
                "kind": _text(m, "Kind"),
                "order": _text(m, "Order"),
                "date": _text(m, "Date"),
            }
            for m in request.iterfind(f"{{{NAMESPACE}}}Movements/{{{NAMESPACE}}}Movement")
        ]
        results = self.store.apply_movements(movements, reject=self.control.reject)
        if self.control.hang_after_apply:
            time.sleep(self.control.hang_after_apply)
        ret = _el("return")
        for key, status, message in results:
            item = _sub(ret, "Item")
            _sub(item, "Key", key)
            _sub(item, "Status", self.control.answer.get(key, status))
            _sub(item, "Message", message)
        return _wrap("PushMovements", ret)

    def op_GetBalance(self, request):
        customer = _text(request, "Customer")
        points = self.store.balances([customer])
        ret = _balance(_el("return"), customer, customer in points, points.get(customer, 0))
        return _wrap("GetBalance", ret)

    def op_GetBalances(self, request):
        customers = [c.text for c in request.iterfind(f"{{{NAMESPACE}}}Customers/{{{NAMESPACE}}}Customer")]
        points = self.store.balances(customers)
        ret = _el("return")
        for customer in customers or sorted(points):
            _balance(_sub(ret, "Balance"), customer, customer in points, points.get(customer, 0))
        return _wrap("GetBalances", ret)

    def _feed(self, request, rows_after):
        """A page of a feed after the request's cursor: ``(the answer with its next cursor, the rows)``."""
        cursor, limit = _text(request, "Cursor"), int(_text(request, "Limit"))
        try:
            rows = rows_after(cursor, max(1, min(limit, 1000)))
        except ValueError as exc:
            raise SoapFault(str(exc), client=True) from None
        ret = _el("return")
        _sub(ret, "Cursor", str(rows[-1]["id"]) if rows else cursor)
        return ret, rows

    def op_GetCorrections(self, request):
        ret, rows = self._feed(request, self.store.corrections_after)
        for row in rows:
            item = _sub(ret, "Correction")
            for tag, value in (
                ("Id", row["id"]),
                ("Customer", row["customer"]),
                ("Points", row["points"]),
                ("Reason", row["reason"]),
                ("Accountant", row["accountant"]),
                ("Date", row["date"]),
            ):
                _sub(item, tag, str(value))
        return _wrap("GetCorrections", ret)

    def op_GetStatuses(self, request):
        ret, rows = self._feed(request, self.store.statuses_after)
        for row in rows:
            item = _sub(ret, "Status")
            _sub(item, "Id", str(row["id"]))
            _sub(item, "Customer", row["customer"])
            _sub(item, "Tier", row["tier"])
            if row["until"]:
                _sub(item, "Until", row["until"])
            _sub(item, "Reason", row["reason"])
            _sub(item, "Accountant", row["accountant"])
            _sub(item, "Date", row["date"])
        return _wrap("GetStatuses", ret)

    def op_GetOrderBonuses(self, request):
        orders = [o.text for o in request.iterfind(f"{{{NAMESPACE}}}Orders/{{{NAMESPACE}}}Order")]
        figures = self.store.order_bonuses(orders)
        ret = _el("return")
        for order in sorted(figures):
            customer, paid, accrued = figures[order]
            item = _sub(ret, "OrderBonus")
            _sub(item, "Order", order)
            _sub(item, "Customer", customer)
            _sub(item, "Paid", str(paid))
            _sub(item, "Accrued", str(accrued))
        return _wrap("GetOrderBonuses", ret)


# --- XML helpers ---


def _el(tag, text=None):
    element = etree.Element(f"{{{NAMESPACE}}}{tag}", nsmap={"m": NAMESPACE})
    if text is not None:
        element.text = text
    return element


def _sub(parent, tag, text=None):
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _wrap(operation, ret):
    response = _el(f"{operation}Response")
    response.append(ret)
    return response


def _balance(element, customer, known, points):
    _sub(element, "Customer", customer)
    _sub(element, "Known", "true" if known else "false")
    _sub(element, "Points", str(points))
    return element


def _text(element, tag):
    child = element.find(f"{{{NAMESPACE}}}{tag}")
    return (child.text or "") if child is not None else ""


def _envelope(version, payload):
    envelope = etree.Element(f"{{{version}}}Envelope", nsmap={"soap": version, "m": NAMESPACE})
    etree.SubElement(envelope, f"{{{version}}}Body").append(payload)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _fault(version, fault):
    envelope = etree.Element(f"{{{version}}}Envelope", nsmap={"soap": version})
    body = etree.SubElement(envelope, f"{{{version}}}Body")
    element = etree.SubElement(body, f"{{{version}}}Fault")
    if version == SOAP12:
        code = etree.SubElement(etree.SubElement(element, f"{{{version}}}Code"), f"{{{version}}}Value")
        code.text = "soap:Sender" if fault.client else "soap:Receiver"
        reason = etree.SubElement(etree.SubElement(element, f"{{{version}}}Reason"), f"{{{version}}}Text")
        reason.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        reason.text = fault.message
    else:
        etree.SubElement(element, "faultcode").text = "soap:Client" if fault.client else "soap:Server"
        etree.SubElement(element, "faultstring").text = fault.message
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def _read_body(environ):
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return None
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _base_url(environ):
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    return f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}{environ.get('PATH_INFO', '')}"
