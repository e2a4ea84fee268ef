"""Routes of the wallet API; trailing slashes are optional."""
from django.urls import re_path

from .views import WalletViewSet

urlpatterns = [
    re_path(r"^wallet/?$", WalletViewSet.as_view({"get": "retrieve"}), name="wallet"),
    re_path(
        r"^wallet/transactions/?$", WalletViewSet.as_view({"get": "transactions"}), name="wallet-transactions"
    ),
]
