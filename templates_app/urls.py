"""Routes of the templates API; trailing slashes are optional, /locales before /{key}."""
from django.urls import re_path

from .views import TemplateViewSet

KEY = r"(?P<key>[^/]+)"

urlpatterns = [
    re_path(r"^otp/templates/?$", TemplateViewSet.as_view({"get": "list", "post": "create"}), name="otp-templates"),
    re_path(r"^otp/templates/locales/?$", TemplateViewSet.as_view({"get": "locales"}), name="otp-template-locales"),
    re_path(
        rf"^otp/templates/{KEY}/?$",
        TemplateViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="otp-template-detail",
    ),
    re_path(rf"^otp/templates/{KEY}/versions/?$", TemplateViewSet.as_view({"get": "versions"}), name="otp-template-versions"),
    re_path(
        rf"^otp/templates/{KEY}/versions/(?P<version>[0-9]{{1,9}})/activate/?$",
        TemplateViewSet.as_view({"post": "activate"}),
        name="otp-template-activate",
    ),
    re_path(rf"^otp/templates/{KEY}/preview/?$", TemplateViewSet.as_view({"post": "preview"}), name="otp-template-preview"),
]
