"""The reference accounting system on a real loopback port, and the shop's client pointed at it."""

import socketserver
import threading
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from erp_sync.soap import client as soap_client
from sandbox.erp_service.service import LoyaltyService

USERNAME, PASSWORD = "exchange", "s3cret"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class RunningService:
    """The service's WSGI app served in a thread; ``stop()`` and ``start()`` take it down and back up."""

    def __init__(self, path):
        self.app = LoyaltyService(path, username=USERNAME, password=PASSWORD)
        self.port = None
        self._server = None

    @property
    def store(self):
        return self.app.store

    @property
    def control(self):
        return self.app.control

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/trade/ws/loyalty.1cws"

    def start(self):
        self._server = make_server(
            "127.0.0.1", self.port or 0, self.app, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
        self.port = self._server.server_port
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._server = None

    def hold(self, operation):
        """From now on a call of ``operation`` waits in the service until the returned gate is opened."""
        gate = Gate(self.app, operation)
        self._server.set_app(gate)
        return gate

    def answer(self, operation, change):
        """From now on the answers to ``operation`` pass through ``change(body) -> body``."""
        self._server.set_app(Rewrite(self.app, operation, change))


def _operation_of(environ):
    # SOAP 1.1 names the operation in the SOAPAction header: "<namespace>#<Service>:<Operation>".
    return environ.get("HTTP_SOAPACTION", "").strip('"').rsplit(":", 1)[-1]


class Rewrite:
    """A WSGI wrapper that changes the answers to one operation: an accounting system that says more or less."""

    def __init__(self, app, operation, change):
        self.app = app
        self.operation = operation
        self.change = change

    def __call__(self, environ, start_response):
        if _operation_of(environ) != self.operation:
            return self.app(environ, start_response)
        answered = {}
        body = b"".join(self.app(environ, lambda status, headers: answered.update(status=status, headers=headers)))
        start_response(answered["status"], answered["headers"])
        return [self.change(body)]


class Gate:
    """A WSGI wrapper that keeps calls of one operation waiting: an accounting system slow to answer."""

    def __init__(self, app, operation):
        self.app = app
        self.operation = operation
        self.entered = threading.Event()  # a call has arrived and is waiting
        self._opened = threading.Event()

    def open(self):
        self._opened.set()

    def __call__(self, environ, start_response):
        if _operation_of(environ) == self.operation:
            self.entered.set()
            self._opened.wait(timeout=30)
        return self.app(environ, start_response)


@pytest.fixture
def erp(tmp_path):
    service = RunningService(tmp_path / "erp.sqlite3")
    service.start()
    yield service
    if service._server is not None:
        service.stop()


@pytest.fixture
def erp_settings(erp, settings):
    """The shop's settings pointing at the running service, with short timeouts for the tests."""
    settings.ERP_SYNC_SOAP_URL = erp.url
    settings.ERP_SYNC_SOAP_USERNAME = USERNAME
    settings.ERP_SYNC_SOAP_PASSWORD = PASSWORD
    settings.ERP_SYNC_SOAP_TIMEOUT = 2
    settings.ERP_SYNC_OUTBOX_BACKOFF = 10
    settings.ERP_SYNC_OUTBOX_MAX_ATTEMPTS = 4
    soap_client._cached.cache_clear()
    yield settings
    soap_client._cached.cache_clear()
