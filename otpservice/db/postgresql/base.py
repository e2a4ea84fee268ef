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
The same idea as HikariCP's `aliveBypassWindowMs` and PgBouncer's `server_check_delay`, and the
same trade: what the socket does not show until something is sent — a host that rebooted or an
address that moved in a failover, answering the next packet with a reset; a NAT or proxy that
dropped the flow — `SELECT 1` would have found and reconnected for, while here, within the interval
after a check, the request's own first query meets it and fails (a 503, or a retried task): at most
once per kept connection per such event. `DB_HEALTH_CHECK_SECONDS=0` checks every time instead.
"""
from __future__ import annotations

import select
import time

from django.db.backends.postgresql import base
from django.db.backends.postgresql.base import Database

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
            # poll, not select: select cannot take a descriptor above 1023.
            probe = select.poll()
            probe.register(self.connection.fileno(), select.POLLIN | select.POLLPRI)
            return not probe.poll(0)
        except (OSError, ValueError, Database.Error):
            return False
