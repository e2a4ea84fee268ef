"""Routes of Sendmator's API that its Node SDK calls and this service does not offer.

They answer `404 not_found` in the error envelope with a message naming what is supported, so a
team switching base URLs learns at once that `client.email`, `client.sms` and `client.whatsapp`
have no counterpart here (codes go out through `POST /api/v1/otp/send`; push device tokens are
the contacts app's to refuse). Every other unknown path under /api/ is a plain `not_found`
(otpservice.middleware.ApiExceptionMiddleware).
"""
from django.http import HttpRequest, JsonResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from otpservice.errors import NotFound, error_json_response

SUPPORTED = (
    "OTP verification: POST /api/v1/otp/send, /api/v1/otp/verify and /api/v1/otp/resend, "
    "GET /api/v1/otp/sessions; also /api/v1/otp/templates, /api/v1/contacts, /api/v1/wallet and "
    "/api/v1/webhooks (see /api/docs/)"
)

# The SDK's resource, by the first segment of its path (src/resources/*.ts of sendmator-node).
RESOURCES = {
    "messages": "email sending (the SDK's client.email: /v1/messages/send, /v1/messages)",
    "email": "email sending (the SDK's client.email)",
    "sms": "SMS messaging (the SDK's client.sms: /v1/sms/send, /v1/sms/executions)",
    "whatsapp": "WhatsApp messaging (the SDK's client.whatsapp: /v1/whatsapp/send, /v1/whatsapp/executions)",
}


@csrf_exempt
def unsupported(request: HttpRequest, resource: str) -> JsonResponse:
    """Any method: these resources do not exist here, whatever is asked of them."""
    return error_json_response(
        NotFound(
            f"Not found: {RESOURCES[resource]} is not offered by this service, which offers {SUPPORTED}",
            details={"path": request.path, "resource": resource, "supported": ["otp", "contacts", "wallet", "webhooks"]},
        )
    )


urlpatterns = [
    re_path(r"^(?P<resource>messages|email|sms|whatsapp)(?:/.*)?$", unsupported, name="unsupported-resource"),
]
