"""Domain errors of the wallet, each with the code and status of DESIGN.md §6."""
from otpservice.errors import ServiceError


class InsufficientBalance(ServiceError):  # noqa: N818 (named by the error code, like the others)
    status_code = 402
    code = "insufficient_balance"
    type = "payment_required"
    message = "Insufficient balance"


class InvalidAmount(ServiceError):  # noqa: N818
    code = "invalid_request"
    message = "Invalid amount"


class DailySpendCapReached(ServiceError):  # noqa: N818
    # 429, not 402: topping up does not help, waiting for the next UTC day does (Retry-After).
    status_code = 429
    code = "daily_spend_cap_reached"
    type = "rate_limit_error"
    message = "Daily spend cap reached"
