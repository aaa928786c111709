"""The zeep client against the reference service over real HTTP on loopback, both SOAP versions."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from lxml import etree

from erp_sync.soap import NAMESPACE, WSDL_PATH, soap_action
from erp_sync.soap.client import (
    ErpNotConfigured,
    ErpRejected,
    ErpTimeout,
    ErpUnavailable,
    LoyaltyService,
    Movement,
    get_service,
)
from tests.erp_soap.conftest import PASSWORD, USERNAME

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
VERSIONS = pytest.mark.parametrize("version", ["1.1", "1.2"])


def client(erp, version="1.1", timeout=2, password=PASSWORD):
    return LoyaltyService(erp.url, username=USERNAME, password=password, version=version, timeout=timeout)


def movement(key, points, *, customer="7", kind="accrual", order="100001"):
    return Movement(key=key, customer=customer, card="1", points=points, kind=kind, order=order, date=NOW)


# --- The WSDL ---------------------------------------------------------------------


def test_wsdl_has_the_shape_1c_publishes():
    wsdl = etree.parse(str(WSDL_PATH))
    ns = {"w": "http://schemas.xmlsoap.org/wsdl/", "s": "http://schemas.xmlsoap.org/wsdl/soap/"}
    ports = [p.get("name") for p in wsdl.iterfind("w:service/w:port", ns)]
    assert ports == ["LoyaltyBonusSoap", "LoyaltyBonusSoap12"]
    actions = {op.get("soapAction") for op in wsdl.iterfind(".//s:operation", ns)}
    assert f"{NAMESPACE}#LoyaltyBonus:PushMovements" in actions
    assert soap_action("GetBalances") in actions
    parts = {p.get("element") for p in wsdl.iterfind("w:message/w:part", ns)}
    assert "tns:PushMovements" in parts and "tns:PushMovementsResponse" in parts
    schema = wsdl.find(".//{http://www.w3.org/2001/XMLSchema}schema")
    assert schema.get("elementFormDefault") == "qualified"


def test_the_wsdls_internal_host_is_never_called(erp):
    # The packaged WSDL says http://erp-srv01/...; the client must call the configured address.
    assert client(erp).get_balance("nobody").known is False


# --- Operations over both SOAP versions -------------------------------------------------


@VERSIONS
def test_pushed_movements_are_applied_once_per_key(erp, version):
    service = client(erp, version)
    first = service.push_movements([movement("a", 100), movement("b", -30, kind="redemption", order="100002")])
    again = service.push_movements([movement("a", 100), movement("c", 5)])

    assert [(r.key, r.status) for r in first] == [("a", "applied"), ("b", "applied")]
    assert [(r.key, r.status, r.delivered) for r in again] == [("a", "duplicate", True), ("c", "applied", True)]
    assert erp.store.movement_count("a") == 1
    assert service.get_balance("7").points == 75


@VERSIONS
def test_balances_one_and_in_batches(erp, version):
    service = client(erp, version)
    service.push_movements([movement("a", 100, customer="1"), movement("b", 40, customer="2")])

    assert service.get_balance("1").points == 100
    batch = service.get_balances(["2", "1", "3"])
    assert [(b.customer, b.known, b.points) for b in batch] == [("2", True, 40), ("1", True, 100), ("3", False, 0)]
    assert {b.customer for b in service.get_balances([])} == {"1", "2"}


@VERSIONS
def test_corrections_and_statuses_after_a_cursor(erp, version):
    service = client(erp, version)
    erp.store.add_correction("7", -20, reason="Inventory", accountant="I. Ivanova")
    erp.store.add_status("7", "gold", reason="Partner", until=NOW + timedelta(days=30))

    page = service.get_corrections("", 10)
    assert [(c.customer, c.points, c.reason, c.accountant) for c in page.items] == [
        ("7", -20, "Inventory", "I. Ivanova")
    ]
    assert service.get_corrections(page.cursor, 10).items == ()
    erp.store.add_correction("8", 15, reason="Gift")
    assert [c.customer for c in service.get_corrections(page.cursor, 10).items] == ["8"]

    statuses = service.get_statuses("", 10)
    assert [(s.customer, s.tier, s.until) for s in statuses.items] == [("7", "gold", NOW + timedelta(days=30))]


@VERSIONS
def test_order_figures(erp, version):
    service = client(erp, version)
    service.push_movements(
        [
            movement("r", -300, kind="redemption", order="5"),
            movement("a", 120, kind="accrual", order="5"),
            movement("v", -20, kind="reversal", order="5"),
        ]
    )
    (figure,) = service.get_order_bonuses(["5"])
    assert (figure.order, figure.paid, figure.accrued) == ("5", 300, 100)


# --- Faults, timeouts, the service being down -----------------------------------------


@VERSIONS
def test_a_server_fault_is_worth_retrying(erp, version):
    erp.control.fail = "fault"
    with pytest.raises(ErpUnavailable, match="locked for maintenance") as caught:
        client(erp, version).get_balance("7")
    assert caught.value.retryable


@VERSIONS
def test_a_client_fault_is_not_retried(erp, version):
    with pytest.raises(ErpRejected, match="unknown cursor") as caught:
        client(erp, version).get_corrections("not-a-cursor", 10)
    assert not caught.value.retryable


def test_an_error_page_instead_of_soap(erp):
    erp.control.fail = "http503"
    with pytest.raises(ErpUnavailable, match="error page"):
        client(erp).get_balance("7")
    erp.control.fail = "garbage"
    with pytest.raises(ErpUnavailable, match="not a SOAP message"):
        client(erp).get_balance("7")


@VERSIONS
def test_a_service_slower_than_the_timeout(erp, version):
    erp.control.delay = 3
    started = time.monotonic()
    with pytest.raises(ErpTimeout):
        client(erp, version, timeout=1).get_balance("7")
    assert time.monotonic() - started < 2.9


def test_the_service_down(erp):
    service = client(erp)
    erp.stop()
    with pytest.raises(ErpUnavailable, match="cannot be reached"):
        service.get_balance("7")
    erp.start()
    assert service.get_balance("7").known is False


def test_wrong_credentials_are_refused(erp):
    with pytest.raises(ErpRejected, match="401"):
        client(erp, password="wrong").get_balance("7")


def test_no_address_configured(settings):
    settings.ERP_SYNC_SOAP_URL = None
    with pytest.raises(ErpNotConfigured):
        get_service()


# --- The reference service refuses bad requests ------------------------------------------


def _post(erp, body):
    return requests.post(
        erp.url,
        data=body,
        auth=(USERNAME, PASSWORD),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": soap_action("PushMovements")},
        timeout=5,
    )


ENVELOPE = (
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="NAMESPACE"><soap:Body>'
    "<m:PushMovements><m:Movements><m:Movement><m:Key>x</m:Key><m:Customer>7</m:Customer><m:Card>1</m:Card>"
    "<m:Points>{points}</m:Points><m:Kind>accrual</m:Kind><m:Order></m:Order><m:Date>2026-05-01T12:00:00Z</m:Date>"
    "</m:Movement></m:Movements></m:PushMovements></soap:Body></soap:Envelope>"
).replace("NAMESPACE", NAMESPACE)


def test_non_numeric_points_get_a_client_fault_and_change_nothing(erp):
    response = _post(erp, ENVELOPE.format(points="ten").encode())
    assert response.status_code == 500
    assert b"faultcode>soap:Client" in response.content
    assert erp.store.movement_count() == 0


def test_entities_and_doctypes_are_refused(erp):
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + ENVELOPE.format(points="&a;").encode()
    response = _post(erp, bomb)
    assert response.status_code == 500
    assert b"soap:Client" in response.content
    assert erp.store.movement_count() == 0
