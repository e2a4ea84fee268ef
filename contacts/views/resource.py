"""Contacts API, the resource: list, create, bulk create, get (by id or external id), update, delete, unsubscribe."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from otpservice.errors import error_for
from otpservice.query import query_values
from otpservice.text import text_problem

from .. import selectors, services
from ..exceptions import ContactNotFound
from ..serializers.inputs import (
    BulkCreateSerializer,
    ContactCreateSerializer,
    ContactListQuery,
    ContactUpdateSerializer,
    DeleteQuery,
    EmptyBodySerializer,
)
from ..serializers.outputs import (
    BulkResponseSerializer,
    ContactDeleteResponseSerializer,
    ContactListResponseSerializer,
    ContactResponseSerializer,
)
from .common import CONTACT_ERRORS, CONTACT_ID, ContactsViewSet, body

HARD = OpenApiParameter("hard", bool, OpenApiParameter.QUERY, required=False, description="true: remove the contact for good")
EXTERNAL_ID = OpenApiParameter("external_id", str, OpenApiParameter.PATH, description="The contact's external_id")


def _contact(request: Request, contact) -> Response:
    """The contact as it is now, tags included."""
    return Response(ContactResponseSerializer(selectors.contact_get(account=request.user, contact_id=contact.pk)).data)


def _bulk_items(raw: list[dict]) -> tuple[list[tuple[int, dict]], list[dict]]:
    """Each entry validated like POST /contacts: (index, fields) to create, and the refused ones."""
    valid, refused = [], []
    for index, item in enumerate(raw):
        serializer = ContactCreateSerializer(data=item)
        if serializer.is_valid():
            valid.append((index, dict(serializer.validated_data)))
            continue
        error = error_for(serializers.ValidationError(serializer.errors), None)
        email = item.get("email")
        refused.append(
            {
                "index": index,
                "email": email if isinstance(email, str) else None,
                "error": error.message,
                "field": error.details.get("field"),
            }
        )
    return valid, refused


class ContactViewSet(ContactsViewSet):
    @extend_schema(
        operation_id="contacts_list", parameters=[ContactListQuery],
        responses={200: ContactListResponseSerializer, **CONTACT_ERRORS},
    )
    def list(self, request: Request) -> Response:
        query = ContactListQuery(data=query_values(request.query_params, ContactListQuery().fields))
        query.is_valid(raise_exception=True)
        page = selectors.contact_list(account=request.user, **query.validated_data)
        return Response(ContactListResponseSerializer(page).data)

    @extend_schema(
        operation_id="contacts_create", request=ContactCreateSerializer,
        responses={201: ContactResponseSerializer, **CONTACT_ERRORS},
    )
    def create(self, request: Request) -> Response:
        contact = services.contact_create(account=request.user, fields=body(request, ContactCreateSerializer))
        response = _contact(request, contact)
        response.status_code = 201
        return response

    @extend_schema(
        operation_id="contacts_bulk_create", request=BulkCreateSerializer,
        responses={200: BulkResponseSerializer, **CONTACT_ERRORS},
    )
    def bulk(self, request: Request) -> Response:
        raw = body(request, BulkCreateSerializer)["contacts"]
        valid, errors = _bulk_items(raw)
        result = services.contact_bulk_create(account=request.user, items=valid)
        created = selectors.contact_many(account=request.user, ids=[contact.pk for contact in result.created])
        data = {
            "created": created,
            "skipped": result.skipped,
            "errors": errors,
            "user_id": request.user.pk,
            "total_processed": len(raw),
            "summary": {
                "created_count": len(created),
                "skipped_count": len(result.skipped),
                "error_count": len(errors),
            },
        }
        return Response(BulkResponseSerializer(data).data)

    @extend_schema(
        operation_id="contacts_retrieve", parameters=[CONTACT_ID],
        responses={200: ContactResponseSerializer, **CONTACT_ERRORS},
    )
    def retrieve(self, request: Request, contact_id: str) -> Response:
        query_values(request.query_params, ())
        return Response(ContactResponseSerializer(selectors.contact_get(account=request.user, contact_id=contact_id)).data)

    @extend_schema(
        operation_id="contacts_retrieve_by_external_id", parameters=[EXTERNAL_ID],
        responses={200: ContactResponseSerializer, **CONTACT_ERRORS},
    )
    def external(self, request: Request, external_id: str) -> Response:
        query_values(request.query_params, ())
        if text_problem(external_id) or len(external_id) > 255:
            raise ContactNotFound("Contact not found: no contact has this external_id")
        contact = selectors.contact_get_by_external_id(account=request.user, external_id=external_id)
        return Response(ContactResponseSerializer(contact).data)

    @extend_schema(
        operation_id="contacts_update", parameters=[CONTACT_ID], request=ContactUpdateSerializer,
        responses={200: ContactResponseSerializer, **CONTACT_ERRORS},
    )
    def partial_update(self, request: Request, contact_id: str) -> Response:
        fields = body(request, ContactUpdateSerializer)
        return _contact(request, services.contact_update(account=request.user, contact_id=contact_id, fields=fields))

    @extend_schema(
        operation_id="contacts_destroy", parameters=[CONTACT_ID, HARD],
        responses={200: ContactDeleteResponseSerializer, **CONTACT_ERRORS},
    )
    def destroy(self, request: Request, contact_id: str) -> Response:
        query = DeleteQuery(data=query_values(request.query_params, {"hard"}))
        query.is_valid(raise_exception=True)
        hard = query.validated_data["hard"]
        contact = services.contact_delete(account=request.user, contact_id=contact_id, hard=hard)
        if contact is None:
            data = {"message": "Contact deleted", "data": None}
        else:
            data = {"message": "Contact deactivated", "data": selectors.contact_get(account=request.user, contact_id=contact.pk)}
        return Response(ContactDeleteResponseSerializer(data).data)

    @extend_schema(
        operation_id="contacts_unsubscribe", parameters=[CONTACT_ID], request=None,
        responses={200: ContactResponseSerializer, **CONTACT_ERRORS},
    )
    def unsubscribe(self, request: Request, contact_id: str) -> Response:
        body(request, EmptyBodySerializer)
        return _contact(request, services.contact_unsubscribe(account=request.user, contact_id=contact_id))
