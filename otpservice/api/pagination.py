"""Page-number pagination of a queryset, as every list endpoint returns it.

`total` is exact up to COUNT_CAP matching rows: the count reads at most COUNT_CAP + 1 of them, so a
page costs the same for an account with a thousand rows and one with millions (a COUNT(*) over the
whole history grew with it; docs/benchmarks.md). Past the cap, `total` is a lower bound: at least
COUNT_CAP + 1, and always more than the rows up to this page when another page follows, so a
client that reads pages until `page == totalPages` still reads every page; on the last page it is
exact again. docs/api.md documents this.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

COUNT_CAP = 1000


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    limit: int
    total: int

    @property
    def pagination(self) -> dict[str, int]:
        return {
            "page": self.page,
            "limit": self.limit,
            "total": self.total,
            "totalPages": (self.total + self.limit - 1) // self.limit,
        }


def paginate(queryset: QuerySet, *, page: int, limit: int) -> Page:
    start = (page - 1) * limit
    counted = queryset.order_by()[: COUNT_CAP + 1].count()
    if counted <= COUNT_CAP:
        return Page(items=list(queryset[start : start + limit]), page=page, limit=limit, total=counted)
    # Past the cap: one row more than the page tells whether another page follows.
    rows = list(queryset[start : start + limit + 1])
    items, more = rows[:limit], len(rows) > limit
    return Page(items=items, page=page, limit=limit, total=max(counted, start + len(items) + (1 if more else 0)))
