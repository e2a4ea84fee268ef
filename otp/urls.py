"""Routes of the OTP API; trailing slashes are optional."""
from django.urls import include, path, re_path

from .views import OtpViewSet, SessionViewSet

urlpatterns = [
    re_path(r"^otp/send/?$", OtpViewSet.as_view({"post": "send"}), name="otp-send"),
    re_path(r"^otp/verify/?$", OtpViewSet.as_view({"post": "verify"}), name="otp-verify"),
    re_path(r"^otp/resend/?$", OtpViewSet.as_view({"post": "resend"}), name="otp-resend"),
    re_path(r"^otp/sessions/?$", SessionViewSet.as_view({"get": "list"}), name="otp-sessions"),
    re_path(
        r"^otp/sessions/(?P<session_id>[^/]+)/?$",
        SessionViewSet.as_view({"get": "retrieve"}),
        name="otp-session-detail",
    ),
    re_path(
        r"^otp/sessions/(?P<session_id>[^/]+)/cancel/?$",
        SessionViewSet.as_view({"post": "cancel"}),
        name="otp-session-cancel",
    ),
    path("", include("otp.fraud.urls")),
]
