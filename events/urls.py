"""Routes of the webhooks API; trailing slashes optional."""
from django.urls import re_path

from .views import WebhookViewSet

ID = r"(?P<webhook_id>[^/]+)"

urlpatterns = [
    re_path(r"^webhooks/?$", WebhookViewSet.as_view({"get": "list", "post": "create"}), name="webhooks"),
    re_path(
        rf"^webhooks/{ID}/?$",
        WebhookViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="webhook-detail",
    ),
    re_path(rf"^webhooks/{ID}/rotate-secret/?$", WebhookViewSet.as_view({"post": "rotate_secret"}), name="webhook-rotate"),
    re_path(rf"^webhooks/{ID}/deliveries/?$", WebhookViewSet.as_view({"get": "deliveries"}), name="webhook-deliveries"),
    re_path(
        rf"^webhooks/{ID}/deliveries/(?P<delivery_id>[^/]+)/redeliver/?$",
        WebhookViewSet.as_view({"post": "redeliver"}),
        name="webhook-redeliver",
    ),
]
