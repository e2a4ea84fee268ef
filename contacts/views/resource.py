"""Read-only contacts API (contacts.serializers renders the responses)."""
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import LiveKeyRequired
from otpservice.api.pagination import paginate
from otpservice.api.schemas import ERRORS
from otpservice.query import PageQuery, query_values

from .selectors import contact_get, contact_list
from .serializers import ContactListResponseSerializer, ContactResponseSerializer


class ContactViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, LiveKeyRequired]

    @extend_schema(
        operation_id="contacts_list",
        parameters=[PageQuery],
        responses={200: ContactListResponseSerializer, **ERRORS},
    )
    def list(self, request):
        query = PageQuery(data=query_values(request.query_params, PageQuery().fields))
        query.is_valid(raise_exception=True)
        page = paginate(contact_list(account=request.user), **query.validated_data)
        return Response(ContactListResponseSerializer(page).data)

    @extend_schema(operation_id="contacts_retrieve", responses={200: ContactResponseSerializer, **ERRORS})
    def retrieve(self, request, contact_id: str):
        return Response(ContactResponseSerializer(contact_get(account=request.user, contact_id=contact_id)).data)
