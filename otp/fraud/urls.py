"""Routes of the fraud guard API (included by otp.urls); trailing slashes are optional."""
from django.urls import re_path

from .views import AllowlistViewSet, BlocklistViewSet, DecisionViewSet, TestRecipientViewSet

ID = r"(?P<{}>[^/]+)"

urlpatterns = [
    re_path(r"^otp/test-recipients/?$", TestRecipientViewSet.as_view({"get": "list", "post": "create"}),
            name="otp-test-recipients"),
    re_path(rf"^otp/test-recipients/{ID.format('test_recipient_id')}/?$",
            TestRecipientViewSet.as_view({"delete": "destroy"}), name="otp-test-recipient"),
    re_path(r"^otp/fraud-decisions/?$", DecisionViewSet.as_view({"get": "list"}), name="otp-fraud-decisions"),
]
for path, viewset in (("blocklist", BlocklistViewSet), ("allowlist", AllowlistViewSet)):
    urlpatterns += [
        re_path(rf"^otp/{path}/?$", viewset.as_view({"get": "list", "post": "create"}), name=f"otp-{path}"),
        re_path(rf"^otp/{path}/{ID.format('entry_id')}/?$", viewset.as_view({"delete": "destroy"}),
                name=f"otp-{path}-entry"),
    ]
