"""Page-number pagination of a queryset, as every list endpoint returns it."""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet


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
    total = queryset.count()
    start = (page - 1) * limit
    return Page(items=list(queryset[start : start + limit]), page=page, limit=limit, total=total)
