"""Top-level routes: the v1 API, schema and docs, probes and admin."""
from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from otp.metrics.views import metrics_view

from .errors import error_body, error_json_response, path_not_found
from .health import healthz, readyz

api_v1 = [
    # Before otp.urls, so /otp/templates… is never taken by an otp route.
    path("", include("templates_app.urls")),
    path("", include("otp.urls")),
    path("", include("contacts.urls")),
    path("", include("wallet.urls")),
    path("", include("otp.webhook_urls")),
    path("", include("events.urls")),
    # Last: Sendmator resources the Node SDK calls that this service does not offer (404 naming what is).
    path("", include("otpservice.api.unsupported")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("healthz", healthz),
    path("readyz", readyz),
    # Prometheus: a bearer token or an allowed address (otp.metrics.views).
    path("metrics", metrics_view),
    # Before the admin site, whose catch-all would take it.
    path("admin/dashboard/", include("otp.dashboard.urls")),
    path("admin/", admin.site.urls),
]


def not_found(request, exception=None):
    return error_json_response(path_not_found(request.path))


def server_error(request):
    request_id = getattr(request, "request_id", "")
    return JsonResponse(
        error_body(
            type="server_error",
            code="server_error",
            message=f"Internal server error; quote request id {request_id}",
            details={"request_id": request_id},
        ),
        status=500,
    )


handler404 = not_found
handler500 = server_error
