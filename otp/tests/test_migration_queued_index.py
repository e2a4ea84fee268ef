"""Migration otp/0009 swaps the queued rows' partial index from session to id, both ways, and
recovers from a run interrupted halfway (on PostgreSQL it builds concurrently, outside a transaction)."""
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BY_SESSION = [("otp", "0008_fallback_delivery")]
BY_ID = [("otp", "0009_channel_queued_index_by_id")]
TABLE = "otp_channelverification"


def _migrate(targets) -> None:
    MigrationExecutor(connection).migrate(targets)


@pytest.fixture(autouse=True)
def back_to_the_latest():
    """Every test leaves the database fully migrated, whatever it asserted."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _queued_index() -> dict:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    assert "otp_chan_queued_id" not in constraints  # no build left behind
    return constraints["otp_chan_queued"]


def _valid_on_postgresql() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'otp_chan_queued'::regclass")
            assert cursor.fetchone() == (True,)


def test_the_index_goes_from_session_to_id_and_back():
    _migrate(BY_SESSION)
    assert _queued_index()["columns"] == ["session_id"]
    _migrate(BY_ID)
    assert _queued_index()["columns"] == ["id"]
    _valid_on_postgresql()


@pytest.mark.postgres
def test_a_build_left_by_an_interrupted_run_is_dropped_and_the_migration_completes():
    _migrate(BY_SESSION)
    with connection.cursor() as cursor:
        # What a killed CREATE INDEX CONCURRENTLY leaves: the temporary name taken.
        cursor.execute(f"CREATE INDEX otp_chan_queued_id ON {TABLE} (recipient)")
    _migrate(BY_ID)
    assert _queued_index()["columns"] == ["id"]
    _valid_on_postgresql()
