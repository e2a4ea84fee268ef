"""Domain errors of the OTP flow, each with the code and status of DESIGN.md §6."""
from otpservice.errors import IdempotencyKeyReused, ServiceError  # noqa: F401 (shared with wallet; send raises it from here)


class InvalidToken(ServiceError):
    code = "invalid_token"
    message = "Invalid session token"


class SessionNotFound(ServiceError):
    status_code = 404
    code = "session_not_found"
    type = "not_found_error"
    message = "Session not found"


class InvalidOtp(ServiceError):
    code = "invalid_otp"
    type = "verification_error"
    message = "Invalid OTP"


class OtpExpired(ServiceError):
    status_code = 410
    code = "otp_expired"
    type = "verification_error"
    message = "OTP expired"


class MaxAttemptsExceeded(ServiceError):
    status_code = 423
    code = "max_attempts_exceeded"
    type = "verification_error"
    message = "Max attempts exceeded"


class AlreadyVerified(ServiceError):
    status_code = 409
    code = "already_verified"
    type = "verification_error"
    message = "Session already verified"


class SessionCancelled(ServiceError):
    status_code = 409
    code = "session_cancelled"
    type = "verification_error"
    message = "Session cancelled"


class ResendCooldown(ServiceError):
    status_code = 429
    code = "resend_cooldown"
    type = "rate_limit_error"
    message = "Resend cooldown: wait before asking for another code"


class MaxResendsExceeded(ServiceError):
    status_code = 429
    code = "max_resends_exceeded"
    type = "rate_limit_error"
    message = "Max resends exceeded for this session"
