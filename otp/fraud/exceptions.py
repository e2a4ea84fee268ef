"""Refusals of the fraud guard (DESIGN.md §6): 429 with details.reason naming the rule, or 403."""
from otpservice.errors import ServiceError


class FraudBlocked(ServiceError):  # noqa: N818 (named by its error code, like the others)
    status_code = 429
    code = "fraud_blocked"
    type = "rate_limit_error"
    message = "Fraud guard: request refused"


class RecipientLocked(ServiceError):  # noqa: N818
    status_code = 429
    code = "recipient_locked"
    type = "rate_limit_error"
    message = "Recipient locked: too many failed verifications"


class RecipientBlocked(ServiceError):  # noqa: N818
    status_code = 403
    code = "recipient_blocked"
    type = "permission_error"
    message = "Recipient blocked"


class TestRecipientExists(ServiceError):  # noqa: N818
    __test__ = False
    status_code = 409
    code = "test_recipient_exists"
    message = "Test recipient exists"


class TestRecipientLimit(ServiceError):  # noqa: N818
    __test__ = False
    status_code = 409
    code = "test_recipients_limit_reached"
    message = "Test recipients limit reached"


class ListEntryExists(ServiceError):  # noqa: N818
    status_code = 409
    code = "list_entry_exists"
    message = "List entry exists"


class FraudEntryNotFound(ServiceError):  # noqa: N818
    status_code = 404
    code = "not_found"
    type = "not_found_error"
    message = "Not found"
