"""The accounting system's loyalty web service (SOAP): its WSDL and the shop's client.

``loyalty.wsdl`` ships with the package: document/literal wrapped, ports for
SOAP 1.1 and 1.2, in the shape 1C:Enterprise publishes its web services. zeep
is imported in ``erp_sync.soap.client`` only.
"""

from pathlib import Path

WSDL_PATH = Path(__file__).resolve().parent / "loyalty.wsdl"
NAMESPACE = "http://www.1c.ru/ssl/LoyaltyBonus"
SERVICE = "LoyaltyBonus"
BINDINGS = {
    "1.1": f"{{{NAMESPACE}}}{SERVICE}SoapBinding",
    "1.2": f"{{{NAMESPACE}}}{SERVICE}Soap12Binding",
}
OPERATIONS = ("PushMovements", "GetBalance", "GetBalances", "GetCorrections", "GetStatuses", "GetOrderBonuses")


def soap_action(operation):
    """The soapAction 1C writes for an operation: ``<namespace>#<Service>:<Operation>``."""
    return f"{NAMESPACE}#{SERVICE}:{operation}"
