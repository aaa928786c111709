"""Settings of the SOAP exchange and the outbox, each read from ``ERP_SYNC_<NAME>``.

Read at call time, so ``override_settings`` works in tests.
"""

from django.conf import settings as django_settings

DEFAULTS = {
    # The loyalty web service's address. The WSDL's own address is usually an
    # internal host name, so it is never used. None: movements wait in the outbox.
    "SOAP_URL": None,
    # HTTP Basic credentials of the web service user.
    "SOAP_USERNAME": "",
    "SOAP_PASSWORD": "",
    # "1.1" or "1.2": the port (binding) of the WSDL to call.
    "SOAP_VERSION": "1.1",
    # Seconds one call may take (connecting, and waiting for the reply).
    "SOAP_TIMEOUT": 30,
    # A WSDL to use instead of the packaged one (a path or a URL).
    "SOAP_WSDL": None,
    # --- Outbox ---
    # Movements of one customer sent in one call.
    "OUTBOX_BATCH_SIZE": 50,
    # Failed deliveries after which a movement is parked for staff.
    "OUTBOX_MAX_ATTEMPTS": 20,
    # Seconds before the first retry; doubled after each failure, up to the maximum.
    "OUTBOX_BACKOFF": 30,
    "OUTBOX_BACKOFF_MAX": 3600,
    # Seconds a delivery owns a customer's movements; after that (a worker
    # killed mid-call) another delivery may send them again. None: twice the timeout plus 30.
    "OUTBOX_LEASE": None,
    # Customers whose movements one sweep enqueues.
    "OUTBOX_SWEEP_LIMIT": 500,
    # --- Pulling changes made in the accounting system ---
    # Corrections and statuses read per call.
    "PULL_LIMIT": 200,
    # The name recorded on a correction whose accountant the accounting system did not give.
    "ERP_ACTOR": "1C",
    # Customers and orders compared per call by the reconciliation.
    "RECONCILE_BATCH_SIZE": 200,
}


class SoapSettings:
    def __getattr__(self, name):
        if name not in DEFAULTS:
            raise AttributeError(name)
        return getattr(django_settings, f"ERP_SYNC_{name}", DEFAULTS[name])

    @property
    def lease_seconds(self):
        lease = self.OUTBOX_LEASE
        return lease if lease is not None else 2 * self.SOAP_TIMEOUT + 30


soap_settings = SoapSettings()
