"""Admin list pages over big tables: a count that never reads the whole table.

Django's changelist counts every matching row to number its pages (and, unless told not to,
the whole table again for "N total"). At a million sessions each count is a scan. This
paginator counts at most CAP matching rows; an unfiltered list on PostgreSQL takes the planner's
row estimate instead. Past CAP the page links stop and the list says "more than CAP".
"""
from __future__ import annotations

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

CAP = 10_000


class BoundedCountPaginator(Paginator):
    cap = CAP

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not queryset.query.where:
            estimate = _estimated_rows(queryset)
            if estimate is not None and estimate > self.cap:
                self.estimated = True
                return estimate
        counted = queryset.order_by()[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)

    estimated = False
    capped = False


def _estimated_rows(queryset) -> int | None:
    """PostgreSQL's estimate of the table's rows (pg_class.reltuples, kept by autovacuum's
    ANALYZE); None elsewhere or before the table was ever analyzed."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)", [queryset.model._meta.db_table]
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None and row[0] >= 0 else None
