"""Query-string checks shared by the list endpoints: a misspelt filter is a 400, never ignored."""
from __future__ import annotations

from collections.abc import Collection, Iterable

from .errors import InvalidRequest


def reject_unknown_params(
    query_params: Iterable[str], allowed: Collection[str], *, prefixes: tuple[str, ...] = ()
) -> None:
    """Raise InvalidRequest naming every parameter that is neither allowed nor under a prefix.

    A typo such as `?stauts=FAILED` would otherwise list everything, unfiltered, with a 200.
    """
    unknown = sorted({key for key in query_params if key not in allowed and not key.startswith(prefixes)})
    if unknown:
        raise InvalidRequest(
            f"{unknown[0]}: unknown query parameter",
            details={"field": unknown[0], "errors": {key: ["Unknown query parameter."] for key in unknown}},
        )
