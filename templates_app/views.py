"""Templates API: thin DRF actions over the templates services and selectors."""
from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import LiveKeyRequired
from otpservice.api.schemas import ERRORS
from otpservice.errors import InvalidRequest
from otpservice.query import query_values

from . import selectors, services
from .defaults import builtin_locale_list
from .exceptions import TemplateNotFound
from .keys import TemplateKey
from .serializers import (
    LocaleListResponseSerializer,
    LocaleQuery,
    PreviewResponseSerializer,
    TemplateCreateSerializer,
    TemplateListResponseSerializer,
    TemplatePreviewSerializer,
    TemplateResponseSerializer,
    TemplateUpdateSerializer,
    metadata_check,
)

LOCALE_PARAM = OpenApiParameter(
    "locale", str, OpenApiParameter.QUERY, required=False,
    description='BCP 47 locale of the template; "" or absent: the template for any locale',
)
TEMPLATE_ERRORS = {
    **ERRORS,
    400: OpenApiResponse(ERRORS[400].response, description="invalid_request, invalid_template (details.field, details.line)"),
    403: OpenApiResponse(ERRORS[403].response, description="permission_denied: a test key (sk_test_) changing a template"),
    404: OpenApiResponse(ERRORS[404].response, description="template_not_found"),
    409: OpenApiResponse(ERRORS[409].response, description="template_registered"),
}
# Changing what live messages say needs the live key; reading and previewing do not (docs/templates.md).
WRITES = {"create", "update", "destroy", "activate"}


def _key(key: str) -> str:
    if key not in TemplateKey.values:
        raise TemplateNotFound(
            f"Template not found: the keys are {', '.join(TemplateKey.values)}", details={"key": key}
        )
    return key


def _query_locale(request: Request) -> str:
    query = LocaleQuery(data=query_values(request.query_params, {"locale"}))
    query.is_valid(raise_exception=True)
    return query.validated_data.get("locale", "")


def _created_by(request: Request) -> str:
    return f"api:{request.auth}"


class TemplateViewSet(viewsets.GenericViewSet):
    def get_permissions(self):
        if self.action in WRITES:
            return [IsAuthenticated(), LiveKeyRequired()]
        return [IsAuthenticated()]

    @extend_schema(
        operation_id="otp_templates_list", parameters=[LOCALE_PARAM],
        responses={200: TemplateListResponseSerializer, **TEMPLATE_ERRORS},
    )
    def list(self, request: Request) -> Response:
        query = LocaleQuery(data=query_values(request.query_params, {"locale"}))
        query.is_valid(raise_exception=True)
        rows = selectors.template_active_list(account=request.user, locale=query.validated_data.get("locale"))
        return Response(TemplateListResponseSerializer({"items": rows}).data)

    @extend_schema(
        operation_id="otp_templates_create", request=TemplateCreateSerializer,
        responses={201: TemplateResponseSerializer, **TEMPLATE_ERRORS},
    )
    def create(self, request: Request) -> Response:
        serializer = TemplateCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        key, locale = fields.pop("key"), fields.pop("locale")
        row = services.template_save(
            account=request.user, key=key, locale=locale, fields=fields, created_by=_created_by(request)
        )
        return Response(TemplateResponseSerializer(row).data, status=201)

    @extend_schema(
        operation_id="otp_templates_retrieve", parameters=[LOCALE_PARAM],
        responses={200: TemplateResponseSerializer, **TEMPLATE_ERRORS},
    )
    def retrieve(self, request: Request, key: str) -> Response:
        row = selectors.template_active_get(account=request.user, key=_key(key), locale=_query_locale(request))
        return Response(TemplateResponseSerializer(row).data)

    @extend_schema(
        operation_id="otp_templates_update", parameters=[LOCALE_PARAM], request=TemplateUpdateSerializer,
        responses={200: TemplateResponseSerializer, **TEMPLATE_ERRORS},
    )
    def update(self, request: Request, key: str) -> Response:
        key, locale = _key(key), _query_locale(request)
        serializer = TemplateUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        for name, expected in (("key", key), ("locale", locale)):
            if fields.pop(name, expected) != expected:
                raise InvalidRequest(
                    f"{name}: does not match the template in the URL ({expected!r})",
                    details={"field": name, "errors": {name: ["Does not match the URL."]}},
                )
        row = services.template_save(
            account=request.user, key=key, locale=locale, fields=fields, created_by=_created_by(request),
            must_exist=True,
        )
        return Response(TemplateResponseSerializer(row).data)

    @extend_schema(
        operation_id="otp_templates_destroy", parameters=[LOCALE_PARAM],
        responses={204: None, **TEMPLATE_ERRORS},
    )
    def destroy(self, request: Request, key: str) -> Response:
        services.template_deactivate(account=request.user, key=_key(key), locale=_query_locale(request))
        return Response(status=204)

    @extend_schema(
        operation_id="otp_templates_versions", parameters=[LOCALE_PARAM],
        responses={200: TemplateListResponseSerializer, **TEMPLATE_ERRORS},
    )
    def versions(self, request: Request, key: str) -> Response:
        rows = selectors.template_versions(account=request.user, key=_key(key), locale=_query_locale(request))
        return Response(TemplateListResponseSerializer({"items": rows}).data)

    @extend_schema(
        operation_id="otp_templates_activate", parameters=[LOCALE_PARAM], request=None,
        responses={200: TemplateResponseSerializer, **TEMPLATE_ERRORS},
    )
    def activate(self, request: Request, key: str, version: str) -> Response:
        row = services.template_version_activate(
            account=request.user, key=_key(key), locale=_query_locale(request), version=int(version)
        )
        return Response(TemplateResponseSerializer(row).data)

    @extend_schema(
        operation_id="otp_templates_preview", parameters=[LOCALE_PARAM], request=TemplatePreviewSerializer,
        responses={200: PreviewResponseSerializer, **TEMPLATE_ERRORS},
    )
    def preview(self, request: Request, key: str) -> Response:
        key, locale = _key(key), _query_locale(request)
        serializer = TemplatePreviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        data = services.template_preview(
            account=request.user, key=key, locale=values.get("locale", locale),
            fields=values.get("template"), metadata=metadata_check(values.get("metadata") or {}),
        )
        return Response(PreviewResponseSerializer(data).data)

    @extend_schema(operation_id="otp_templates_locales", responses={200: LocaleListResponseSerializer, **TEMPLATE_ERRORS})
    def locales(self, request: Request) -> Response:
        query_values(request.query_params, ())
        return Response(LocaleListResponseSerializer({"items": builtin_locale_list()}).data)
