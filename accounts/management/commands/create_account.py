"""create_account NAME [--balance AMOUNT]: prints the new account's keys as one JSON line."""
import json
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.services import account_create
from wallet.services import wallet_topup


def _amount(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise CommandError(f"--balance must be a decimal amount, got {value!r}") from exc
    if amount < 0 or amount.as_tuple().exponent < -4:
        raise CommandError("--balance must be positive with at most 4 decimal places")
    return amount


class Command(BaseCommand):
    help = "Create an account with a live and a test API key; the last line is JSON."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--balance", type=_amount, default=None)

    def handle(self, *args, name: str, balance: Decimal | None, **options):
        if not name.strip():
            raise CommandError("NAME must not be empty")
        with transaction.atomic():
            created = account_create(name=name.strip())
            if balance:
                wallet_topup(account=created.account, amount=balance, actor="create_account")
        self.stdout.write(f"Created account {created.account.name!r}.")
        self.stdout.write("Keep these keys: they are shown only now.")
        self.stdout.write(
            json.dumps(
                {
                    "account_id": str(created.account.id),
                    "api_key": created.live_key,
                    "test_api_key": created.test_key,
                }
            )
        )
