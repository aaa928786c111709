"""The HTTP side of the exchange: one URL, ``type`` and ``mode`` in the query string.

Every reply is plain text whose first line is ``success``, ``progress`` or
``failure`` (the orders of ``mode=query`` and the lists of ``mode=info`` are
XML). Nothing may be printed before that word, so every error, expected or
not, becomes a ``failure`` reply here.
"""

import logging

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oscar.core.loading import get_model

from erp_sync.exchange import commerceml, event_log, export, services
from erp_sync.exchange.services import ExchangeRefused, TooManyAttempts
from erp_sync.exchange.settings import exchange_settings

Order = get_model("order", "Order")
SourceType = get_model("payment", "SourceType")

logger = logging.getLogger(__name__)

#: The uploads the protocol without a version imports in the file call: documents, and archives of them.
IMPORTED = (".xml", ".zip")


def reply(status, *lines, cookie=None, http_status=200):
    encoding = exchange_settings.EXCHANGE_ENCODING
    body = "\n".join([status, *[str(line) for line in lines]]) + "\n"
    response = HttpResponse(
        body.encode(encoding, errors="xmlcharrefreplace"),
        content_type=f"text/plain; charset={encoding}",
        status=http_status,
    )
    response["Cache-Control"] = "no-store"
    if cookie is not None:
        response.set_cookie(
            exchange_settings.EXCHANGE_COOKIE_NAME,
            cookie,
            max_age=exchange_settings.EXCHANGE_SESSION_HOURS * 3600,
            httponly=True,
            samesite="Strict",
        )
    return response


def _remote_addr(request):
    return request.META.get("REMOTE_ADDR") or None


@method_decorator(csrf_exempt, name="dispatch")
class ExchangeView(View):
    """``?type=sale&mode=checkauth|init|query|success|file|import|info``.

    ``?type=catalog&mode=checkauth|init|file|import`` for the catalogue.
    """

    http_method_names = ["get", "post"]
    exchange_types = (services.SALE, services.CATALOG)
    modes = ("init", "query", "success", "file", "import", "info")
    #: The modes each exchange type offers (checkauth aside).
    type_modes = {services.CATALOG: ("init", "file", "import")}

    def get(self, request):
        return self.handle(request)

    def post(self, request):
        return self.handle(request)

    def http_method_not_allowed(self, request, *args, **kwargs):
        # Django's own 405 is an empty HTML page, which 1C cannot read.
        message = _("The exchange takes GET and POST requests, not %(method)s.") % {"method": request.method}
        self.log(request, "failure", None, message=message)
        response = reply("failure", message, http_status=405)
        response["Allow"] = ", ".join(method.upper() for method in self.http_method_names)
        return response

    def handle(self, request):
        exchange_type = request.GET.get("type", "")
        mode = request.GET.get("mode", "")
        session = None
        try:
            if exchange_type not in self.exchange_types:
                raise ExchangeRefused(_("Unsupported exchange type: %(type)s.") % {"type": exchange_type or "-"})
            if mode == "checkauth":
                return self.checkauth(request, exchange_type)
            allowed = self.type_modes.get(exchange_type, self.modes)
            handler = getattr(self, f"mode_{mode}", None) if mode in allowed else None
            if handler is None:
                raise ExchangeRefused(_("Unsupported mode: %(mode)s.") % {"mode": mode or "-"})
            session = services.session_for_request(request, exchange_type=exchange_type)
            return handler(request, session)
        except TooManyAttempts as error:
            self.log(request, "failure", session, message=str(error))
            response = reply("failure", str(error), http_status=429)
            response["Retry-After"] = str(error.retry_after_seconds)
            return response
        except ExchangeRefused as error:
            self.log(request, "failure", session, message=str(error))
            return reply("failure", str(error))
        except Exception:  # noqa: BLE001 - 1C must get "failure", never an HTML error page
            logger.exception("Exchange request failed: type=%s mode=%s", exchange_type, mode)
            message = _("Internal error; see the shop's log.")
            self.log(request, "failure", session, message=message)
            return reply("failure", message)

    def log(self, request, result, session, message=""):
        # Outside any session anyone can call: a flood must not write a row per request.
        if session is None and result == "failure" and not event_log.worth_a_row(_remote_addr(request), message):
            return
        try:
            services.log_event(
                result,
                session=session,
                mode=request.GET.get("mode", ""),
                exchange_type=request.GET.get("type", ""),
                filename=request.GET.get("filename", ""),
                message=message,
                remote_addr=_remote_addr(request),
            )
        except Exception:  # noqa: BLE001 - the log must not turn an answer into an error
            logger.exception("Could not log an exchange request.")

    # --- modes -------------------------------------------------------------

    def checkauth(self, request, exchange_type):
        user = services.authenticate_exchange(request)
        session, token = services.start_session(user, exchange_type=exchange_type, remote_addr=_remote_addr(request))
        self.log(request, "success", session)
        name = exchange_settings.EXCHANGE_COOKIE_NAME
        return reply("success", name, token, f"sessid={token}", cookie=token)

    def mode_init(self, request, session):
        options = services.init_session(session, version=request.GET.get("version", ""))
        lines = [f"zip={options['zip']}", f"file_limit={options['file_limit']}"]
        if session.version:
            lines.append(f"version={session.version}")
        self.log(request, "success", session)
        # The status word is the protocol's first line for every other mode;
        # for init 1C reads the key=value lines only.
        return reply(*lines)

    def mode_query(self, request, session):
        window = services.begin_export(session)
        self.log(
            request,
            "success",
            session,
            message=_("Orders changed after %(since)s up to %(until)s, journal entries %(after)s to %(upto)s")
            % {
                "since": window.since or "-",
                "until": window.until,
                "after": window.after.entry if window.after.entry is not None else "-",
                "upto": window.upto.entry,
            },
        )
        counter = []

        def stream():
            yield from export.export_bytes(window, counter=counter)
            services.record_exported(session, sum(counter))

        encoding = exchange_settings.EXCHANGE_ENCODING
        response = StreamingHttpResponse(stream(), content_type=f"application/xml; charset={encoding}")
        response["Cache-Control"] = "no-store"
        return response

    def mode_success(self, request, session):
        marker = services.acknowledge(session)
        message = (
            _("Export acknowledged up to %(until)s.") % {"until": marker}
            if marker
            else _("Nothing to acknowledge: no orders were queried in this session.")
        )
        self.log(request, "success", session, message=message)
        return reply("success", message)

    def mode_file(self, request, session):
        if request.method != "POST":
            raise ExchangeRefused(_("Files are sent with POST."))
        filename = request.GET.get("filename", "")
        length = request.META.get("CONTENT_LENGTH")
        length = int(length) if length and length.isdigit() else None
        record = services.receive_file(session, filename, request, length=length)
        message = _("%(name)s: %(size)s bytes received.") % {"name": record.name, "size": record.size}
        if session.exchange_type == services.SALE and not session.version and record.name.lower().endswith(IMPORTED):
            # The protocol without a version at init imports inside the file call,
            # once the file's last chunk is in: 1C never calls import then.
            imported = services.import_when_complete(session, record.name)
            if imported is None:
                message = _("%(name)s: %(size)s bytes received; waiting for the rest of the file.") % {
                    "name": record.name,
                    "size": record.size,
                }
            else:
                message = imported
        self.log(request, "success", session, message=message)
        return reply("success", message)

    def mode_import(self, request, session):
        if session.exchange_type == services.CATALOG:
            status, message = services.import_catalogue_step(session, request.GET.get("filename", ""))
        else:
            status, message = services.import_step(session, request.GET.get("filename", ""))
        self.log(request, status, session, message=message)
        return reply(status, message)

    def mode_info(self, request, session):
        from django.conf import settings

        pipeline = getattr(settings, "OSCAR_ORDER_STATUS_PIPELINE", {}) or {}
        statuses = [(status, status) for status in pipeline]
        payments = [(source.code or source.name, source.name) for source in SourceType.objects.all()]
        deliveries = sorted(
            {
                (code or name, name)
                for code, name in Order.objects.values_list("shipping_code", "shipping_method")[:1000]
                if name
            }
        )
        self.log(request, "success", session)
        return HttpResponse(
            commerceml.info_document(statuses, payments, deliveries, encoding=exchange_settings.EXCHANGE_ENCODING),
            content_type=f"application/xml; charset={exchange_settings.EXCHANGE_ENCODING}",
        )


exchange_view = ExchangeView.as_view()
