"""Django's PostgreSQL backend, its connection health check run at most once per interval.

Django checks a kept connection (`CONN_HEALTH_CHECKS`) with a `SELECT 1` at the start of every
request and every Celery task: one more round trip than the request's own queries, which in the
profile of a session GET was the largest single cost after the GET's own query (docs/benchmarks.md).
Here the check runs only when the connection has not been proven alive — by its connect or by a
check — within `HEALTH_CHECK_SECONDS` (a key of the database's settings; `DB_HEALTH_CHECK_SECONDS`
in production, 0 checks every time as Django does). In between, one non-blocking look at the
socket stands in for it: a server that closed the connection (restart, failover,
`pg_terminate_backend`, `idle_session_timeout`) has sent its goodbye and made the socket readable,
and an idle connection has nothing else to read, so anything readable means the real check runs.
The same idea as HikariCP's `aliveBypassWindowMs` and PgBouncer's `server_check_delay`; what it
cannot see, a peer that vanished without a word, a `SELECT 1` would only have found by waiting out
a TCP timeout too.
"""
from __future__ import annotations

import select
import time

from django.db.backends.postgresql import base

DEFAULT_HEALTH_CHECK_SECONDS = 5.0


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.proven_alive_at: float | None = None

    def connect(self):
        super().connect()
        self.proven_alive_at = time.monotonic()

    def close_if_health_check_failed(self):
        if self.pool or self.connection is None or not self.health_check_enabled or self.health_check_done:
            return super().close_if_health_check_failed()
        if self._recently_proven_alive():
            self.health_check_done = True
            return None
        super().close_if_health_check_failed()
        if self.connection is not None:  # it passed the `SELECT 1` just now
            self.proven_alive_at = time.monotonic()
        return None

    def _recently_proven_alive(self) -> bool:
        interval = float(self.settings_dict.get("HEALTH_CHECK_SECONDS", DEFAULT_HEALTH_CHECK_SECONDS))
        if self.proven_alive_at is None or time.monotonic() - self.proven_alive_at >= interval:
            return False
        if self.connection.closed or self.connection.broken:
            return False
        try:
            readable, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable
