"""Read-only contacts API."""
from drf_spectacular.utils import extend_schema, extend_schema_serializer, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import LiveKeyRequired
from otpservice.api.pagination import paginate
from otpservice.api.schemas import ERRORS, PaginationSchema
from otpservice.api.timestamps import iso
from otpservice.query import PageQuery, query_values

from .models import Contact
from .selectors import contact_get, contact_list


class ContactSchema(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True)
    verified_channels = serializers.ListField(child=serializers.CharField())
    email_verified_at = serializers.DateTimeField(allow_null=True)
    sms_verified_at = serializers.DateTimeField(allow_null=True)
    whatsapp_verified_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


# One envelope object, not a list of them: drf-spectacular would wrap a `list` action's response in an array.
@extend_schema_serializer(many=False)
class ContactListResponse(serializers.Serializer):
    success = serializers.BooleanField()
    data = ContactSchema(many=True)
    pagination = PaginationSchema()


def contact_data(contact: Contact) -> dict:
    stamps = {
        "email": contact.email_verified_at,
        "sms": contact.sms_verified_at,
        "whatsapp": contact.whatsapp_verified_at,
    }
    return {
        "id": str(contact.id),
        "email": contact.email,
        "phone": contact.phone,
        "verified_channels": [channel for channel, stamp in stamps.items() if stamp],
        **{f"{channel}_verified_at": iso(stamp) for channel, stamp in stamps.items()},
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
    }


class ContactViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, LiveKeyRequired]

    @extend_schema(
        operation_id="contacts_list",
        parameters=[PageQuery],
        responses={
            200: ContactListResponse,
            **ERRORS,
        },
    )
    def list(self, request):
        query = PageQuery(data=query_values(request.query_params, PageQuery().fields))
        query.is_valid(raise_exception=True)
        page = paginate(contact_list(account=request.user), **query.validated_data)
        return Response({"success": True, "data": [contact_data(c) for c in page.items], "pagination": page.pagination})

    @extend_schema(
        operation_id="contacts_retrieve",
        responses={
            200: inline_serializer("ContactResponse", {"success": serializers.BooleanField(), "data": ContactSchema()}),
            **ERRORS,
        },
    )
    def retrieve(self, request, contact_id: str):
        return Response({"success": True, "data": contact_data(contact_get(account=request.user, contact_id=contact_id))})
