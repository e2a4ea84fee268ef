"""What the contacts views share: permissions, the documented errors, parsing a body."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

from accounts.permissions import LiveKeyRequired
from otpservice.api.schemas import ERRORS

CONTACT_ID = OpenApiParameter("contact_id", str, OpenApiParameter.PATH, description="The contact's id (a UUID)")
CONTACT_ERRORS = {
    400: OpenApiResponse(ERRORS[400].response, description="invalid_request, invalid_json (details.field)"),
    401: ERRORS[401],
    403: OpenApiResponse(ERRORS[403].response, description="permission_denied: contacts refuse test keys (sk_test_)"),
    404: OpenApiResponse(ERRORS[404].response, description="contact_not_found"),
    409: OpenApiResponse(ERRORS[409].response, description="contact_exists (details.field, details.contact_id)"),
    413: ERRORS[413],
    415: ERRORS[415],
    500: ERRORS[500],
    503: ERRORS[503],
}


class ContactsViewSet(viewsets.GenericViewSet):
    """Contacts hold live users' data: the live key only (accounts.permissions)."""

    permission_classes = [IsAuthenticated, LiveKeyRequired]


def body(request: Request, serializer_class: type[serializers.Serializer]) -> dict:
    """The request body, validated (an absent body is `{}`)."""
    data = request.data if request.data is not None else {}
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
