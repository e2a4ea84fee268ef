"""The one timestamp format of the API."""
from __future__ import annotations

from datetime import UTC, datetime


def iso(value: datetime | None) -> str | None:
    """ISO-8601 UTC with milliseconds and a Z, as DESIGN.md §5 asks."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
