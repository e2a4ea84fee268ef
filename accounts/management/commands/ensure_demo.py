"""ensure_demo: make sure a demo account and an admin login exist, and print how to use them."""
import os
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Account, ApiKey
from accounts.services import account_create, api_key_issue
from wallet.services import wallet_topup

DEMO_NAME = "Demo"


class Command(BaseCommand):
    help = "Create (once) the demo account with fresh keys and an admin user for local use."

    def handle(self, *args, **options):
        with transaction.atomic():
            account = Account.objects.filter(name=DEMO_NAME).first()
            if account is None:
                created = account_create(name=DEMO_NAME)
                live, test = created.live_key, created.test_key
                self._top_up(created.account)
            else:
                # Keys are stored hashed, so the old ones cannot be shown again: issue new ones.
                ApiKey.objects.filter(account=account, name__startswith="make run").delete()
                live = api_key_issue(account=account, mode=ApiKey.Mode.LIVE, name="make run live").raw
                test = api_key_issue(account=account, mode=ApiKey.Mode.TEST, name="make run test").raw
            username = os.environ.get("ADMIN_USERNAME", "admin")
            password = os.environ.get("ADMIN_PASSWORD", "admin")
            user_model = get_user_model()
            if not user_model.objects.filter(username=username).exists():
                user_model.objects.create_superuser(username=username, email="", password=password)
                login = f"{username} / {password}"
            else:
                login = f"{username} (existing password)"
        self.stdout.write("")
        self.stdout.write("Demo account ready.")
        self.stdout.write(f"  live API key (sends through the outbox): {live}")
        self.stdout.write(f"  test API key (sandbox, codes in responses): {test}")
        self.stdout.write(f"  admin login: {login}")
        self.stdout.write("")

    def _top_up(self, account):
        wallet_topup(account=account, amount=Decimal("10.0000"), actor="ensure_demo")
