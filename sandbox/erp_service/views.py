"""The reference service mounted in the demo project, so ``make demo``'s runserver serves it too."""

import functools

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from sandbox.erp_service.service import LoyaltyService


@functools.cache
def get_service():
    return LoyaltyService(
        settings.ERP_SERVICE_DB_PATH,
        username=settings.ERP_SERVICE_USERNAME,
        password=settings.ERP_SERVICE_PASSWORD,
    )


@csrf_exempt
def loyalty_service(request):
    status, headers, body = get_service().handle(
        method=request.method,
        query=request.META.get("QUERY_STRING", ""),
        authorization=request.META.get("HTTP_AUTHORIZATION", ""),
        body=request.body if int(request.META.get("CONTENT_LENGTH") or 0) <= 5 * 1024 * 1024 else None,
        base_url=request.build_absolute_uri(request.path),
    )
    code, _reason = status.split(" ", 1)
    response = HttpResponse(body, status=int(code))
    for name, value in headers:
        response[name] = value
    return response
