"""Request id for every request, echoed in X-Request-ID and quoted by server errors; the error
envelope for everything under /api/ that Django itself would answer in HTML; admin query strings
the database could not hold refused; the audit log's request context where it can matter."""
import re
import uuid

from auditlog.cid import set_cid
from auditlog.middleware import AuditlogMiddleware
from django.http import HttpResponseBadRequest

from .errors import MethodNotAllowed, error_for, error_json_response, path_not_found
from .text import printable, text_problem

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
API_READS = frozenset({"GET", "HEAD"})


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class ApiExceptionMiddleware:
    """Under /api/ every answer is JSON, DEBUG on or off.

    Exceptions of views outside DRF (the provider webhooks) become the envelope: a database outage
    is a 503 with Retry-After there as in the DRF views, never an HTML 500. And the 404 of a path
    no route matches (Django's debug page when DEBUG is on) and the 405 of a plain view's
    `require_POST` become `not_found` and `method_not_allowed`. DRF views answer in the envelope
    themselves, so only responses that are not JSON are replaced.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code not in (404, 405):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code == 404:
            return error_json_response(path_not_found(request.path))
        allowed = [method.strip() for method in response.get("Allow", "").split(",") if method.strip()]
        replaced = error_json_response(
            MethodNotAllowed(f"Method {request.method} not allowed", details={"allowed": allowed})
        )
        if allowed:
            replaced["Allow"] = ", ".join(allowed)
        return replaced

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        return error_json_response(error_for(exception, request))


class AdminQueryTextMiddleware:
    """Admin list filters and searches pass query values straight to the ORM: a NUL or a lone
    surrogate there would be a database error (a 500). The API checks its own query strings
    (otpservice.query); the admin's are refused here with a 400 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/admin/"):
            for key, values in request.GET.lists():
                problem = next((p for text in (key, *values) if (p := text_problem(text))), None)
                if problem:
                    return HttpResponseBadRequest(f"Bad query parameter {printable(key)!r}: {problem}")
        return self.get_response(request)


class AuditContextMiddleware(AuditlogMiddleware):
    """django-auditlog's request context (staff actor, client address, correlation id) for every
    request that can change an audited row: all but the API's reads.

    An API GET or HEAD writes no audited row (its one write, a key's last_used_at, is a field the
    audit leaves out, written with a queryset update that no audit signal sees), yet setting the
    context connects and disconnects signal receivers on every request (docs/benchmarks.md). API
    writes (templates, webhooks, lists, test recipients) and everything outside /api/ (the admin)
    keep it.
    """

    def __call__(self, request):
        if request.method in API_READS and request.path_info.startswith("/api/"):
            # The correlation id is a context variable auditlog never resets: set it anyway (it is
            # cheap), so nothing this request might audit carries the previous request's.
            set_cid(request)
            return self.get_response(request)
        return super().__call__(request)
