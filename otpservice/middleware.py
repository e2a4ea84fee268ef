"""Request id for every request, echoed in X-Request-ID and quoted by server errors; the error
envelope for exceptions of plain Django views under /api/."""
import re
import uuid

from .errors import error_for, error_json_response

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


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
    """Views under /api/ outside DRF (the provider webhooks) answer exceptions in the envelope too:
    a database outage is a 503 with Retry-After there as in the DRF views, never an HTML 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path.startswith("/api/"):
            return None
        return error_json_response(error_for(exception, request))
