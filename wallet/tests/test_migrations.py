"""The ledger's session reference became a plain UUID column: migrating keeps every value."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

WITH_FOREIGN_KEY = [("wallet", "0002_seed_default_prices")]
WITH_PLAIN_UUID = [("wallet", "0003_ledger_session_id_plain_uuid")]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_migration_keeps_each_ledger_entrys_session_id_and_frees_it_from_the_session():
    try:
        apps = _migrate(WITH_FOREIGN_KEY)
        account = apps.get_model("accounts", "Account").objects.create(id=uuid.uuid4(), name="Old")
        session = apps.get_model("otp", "OTPSession").objects.create(
            id=uuid.uuid4(), account=account, created_at=NOW, last_sent_at=NOW, expires_at=NOW
        )
        wallet = apps.get_model("wallet", "Wallet").objects.create(account=account, balance=85)
        entries = apps.get_model("wallet", "LedgerEntry").objects
        topup = entries.create(wallet=wallet, kind="topup", amount=100, balance_after=100, actor="t")
        charge = entries.create(
            wallet=wallet, kind="charge", amount=-15, balance_after=85, session=session, channel="email", actor="api"
        )

        apps = _migrate(WITH_PLAIN_UUID)
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, "wallet_ledgerentry")
        on_session_id = [c for c in constraints.values() if c["columns"] == ["session_id"]]
        assert not [c for c in on_session_id if c["foreign_key"]]
        assert [c for c in on_session_id if c["index"]]  # still indexed
        entries = apps.get_model("wallet", "LedgerEntry").objects
        assert dict(entries.values_list("pk", "session_id")) == {topup.pk: None, charge.pk: session.pk}
        apps.get_model("otp", "OTPSession").objects.filter(pk=session.pk).delete()
        assert entries.get(pk=charge.pk).session_id == session.pk
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


BEFORE_SPEND_COLUMNS = [("wallet", "0004_ledger_created_index")]
WITH_SPEND_COLUMNS = [("wallet", "0005_wallet_spent_today")]


def test_migration_fills_the_days_spend_from_todays_charges_only():
    try:
        apps = _migrate(BEFORE_SPEND_COLUMNS)
        account = apps.get_model("accounts", "Account").objects.create(id=uuid.uuid4(), name="Old")
        wallet = apps.get_model("wallet", "Wallet").objects.create(account=account, balance=800)
        entries = apps.get_model("wallet", "LedgerEntry").objects
        for kind, amount in (("topup", 1000), ("charge", -150), ("charge", -15), ("refund", 15)):
            entries.create(wallet=wallet, kind=kind, amount=amount, balance_after=800, actor="t")
        yesterday = entries.create(wallet=wallet, kind="charge", amount=-100, balance_after=800, actor="t")
        entries.filter(pk=yesterday.pk).update(created_at=datetime.now(UTC) - timedelta(days=1, hours=1))
        untouched = apps.get_model("wallet", "Wallet").objects.create(
            account=apps.get_model("accounts", "Account").objects.create(id=uuid.uuid4(), name="Idle"), balance=0
        )

        apps = _migrate(WITH_SPEND_COLUMNS)
        wallets = apps.get_model("wallet", "Wallet").objects
        assert wallets.values_list("spent_on", "spent_that_day").get(pk=wallet.pk) == (datetime.now(UTC).date(), 165)
        assert wallets.values_list("spent_on", "spent_that_day").get(pk=untouched.pk) == (None, 0)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
