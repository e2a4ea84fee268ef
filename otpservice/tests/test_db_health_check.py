"""The PostgreSQL backend's health check (otpservice/db/postgresql/base.py), seen from the server.

Each test drives a connection of its own, as a request does (`close_if_unusable_or_obsolete` at
its boundaries, then a query), and reads what that backend last ran from pg_stat_activity in
another connection: whether the `SELECT 1` check went over the wire is the server's word, not ours.
"""
from __future__ import annotations

import time

import pytest
from django.db import connection, connections

from otpservice.db.postgresql.base import DatabaseWrapper

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def kept_connection():
    """A kept, health-checked connection to the test database; `interval` sets its check interval."""
    made = []

    def make(*, interval: float) -> DatabaseWrapper:
        wrapper = connections.create_connection("default")
        wrapper.settings_dict = {
            **wrapper.settings_dict, "CONN_MAX_AGE": 60, "CONN_HEALTH_CHECKS": True, "HEALTH_CHECK_SECONDS": interval,
        }
        made.append(wrapper)
        return wrapper

    yield make
    for wrapper in made:
        wrapper.close()


def _request(wrapper: DatabaseWrapper, label: str) -> int:
    """One request's worth of database use: its boundaries and one query; the backend's pid."""
    wrapper.close_if_unusable_or_obsolete()
    with wrapper.cursor() as cursor:
        cursor.execute(f"SELECT pg_backend_pid() /* {label} */")
        pid = cursor.fetchone()[0]
    wrapper.close_if_unusable_or_obsolete()
    return pid


def _last_statement(pid: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def _run_check_only(wrapper: DatabaseWrapper) -> None:
    # What the next request's first cursor does before its query.
    wrapper.close_if_unusable_or_obsolete()
    wrapper.close_if_health_check_failed()


def test_the_backend_is_ours_on_postgresql():
    assert isinstance(connections["default"], DatabaseWrapper)
    assert connection.vendor == "postgresql"


def test_a_connection_proven_alive_moments_ago_is_not_checked_again(kept_connection):
    wrapper = kept_connection(interval=60)
    pid = _request(wrapper, "first")
    _run_check_only(wrapper)
    assert "first" in _last_statement(pid)  # no SELECT 1 went to the server
    assert wrapper.health_check_done


def test_with_no_interval_every_request_is_checked_as_django_does(kept_connection):
    wrapper = kept_connection(interval=0)
    pid = _request(wrapper, "first")
    _run_check_only(wrapper)
    assert _last_statement(pid) == "SELECT 1"


def test_once_the_interval_has_passed_the_check_runs_and_proves_it_again(kept_connection):
    wrapper = kept_connection(interval=0.3)
    pid = _request(wrapper, "first")
    time.sleep(0.4)
    _run_check_only(wrapper)
    assert _last_statement(pid) == "SELECT 1"
    assert _request(wrapper, "second") == pid
    _run_check_only(wrapper)
    assert "second" in _last_statement(pid)  # the check just passed: not repeated


def test_a_connection_the_server_closed_within_the_interval_is_replaced_before_the_next_query(kept_connection):
    wrapper = kept_connection(interval=60)
    pid = _request(wrapper, "before")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 10
    while _backend_alive(pid):
        assert time.monotonic() < deadline, "the terminated backend did not go away"
        time.sleep(0.05)
    # Without the look at the socket, this query would be sent down the dead connection and fail.
    assert _request(wrapper, "after") != pid


def _backend_alive(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0] > 0
