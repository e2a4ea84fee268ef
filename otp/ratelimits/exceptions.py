"""Refusals of the destination controls and the daily spend cap (codes in docs/rate-limits.md)."""
from otpservice.errors import ServiceError


class DestinationNotAllowed(ServiceError):  # noqa: N818 (named by its error code, like the others)
    code = "destination_not_allowed"
    message = "Destination not allowed"


class NumberTypeNotAllowed(ServiceError):  # noqa: N818
    code = "number_type_not_allowed"
    message = "Number type not allowed"


class DailySpendCapReached(ServiceError):  # noqa: N818
    # 429, not 402: topping up does not help, waiting for the next UTC day does (Retry-After).
    status_code = 429
    code = "daily_spend_cap_reached"
    type = "rate_limit_error"
    message = "Daily spend cap reached"
