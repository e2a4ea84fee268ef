"""The wallet endpoints answer byte for byte as recorded (see otpservice/tests/golden.py)."""
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from otpservice.tests.golden import Golden, Placeholders, integer_ids
from wallet.models import Price

from .helpers import account_with, client_for, send_body

pytestmark = pytest.mark.django_db

SEND, WALLET, TRANSACTIONS = "/api/v1/otp/send", "/api/v1/wallet", "/api/v1/wallet/transactions"
T0 = datetime(2026, 1, 15, 11, 0, 0, 123456, tzinfo=UTC)
GOLDEN = Golden(Path(__file__).with_name("golden") / "api_bodies.json")


def _check(name: str, seen: Placeholders, response) -> None:
    assert response.status_code == 200, response.content
    GOLDEN.check(name, seen.apply(integer_ids(response.content.decode(), "id", "entry")))


def test_wallet_and_transaction_bodies(time_machine):
    time_machine.move_to(T0, tick=False)
    created = account_with("10.5", name="Golden")
    Price.objects.create(account=created.account, channel="sms", amount=125)
    api = client_for(created.live_key)
    seen = Placeholders()
    for seconds, channels in ((3, ["email", "sms"]), (4, ["whatsapp"])):
        time_machine.move_to(T0 + timedelta(seconds=seconds), tick=False)
        response = api.post(SEND, send_body(channels))
        assert response.status_code == 200, response.content
        seen.add("session", response.json()["session_id"])
    _check("wallet", seen, api.get(WALLET))
    _check("transactions", seen, api.get(TRANSACTIONS))
    _check("transactions_topups_page_1", seen, api.get(f"{TRANSACTIONS}?kind=topup&limit=1"))
    _check("transactions_none", seen, api.get(f"{TRANSACTIONS}?kind=refund"))


def test_wallet_body_of_an_account_without_a_wallet(db):
    created = account_with(None, name="No wallet")
    _check("wallet_never_funded", Placeholders(), client_for(created.live_key).get(WALLET))
