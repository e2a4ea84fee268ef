"""Session tokens: HS256 JWTs carrying only the session and account ids."""
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

ALGORITHM = "HS256"
ISSUER = "otpservice"


class TokenError(Exception):
    pass


@dataclass(frozen=True)
class TokenClaims:
    session_id: str
    account_id: str


def token_issue(*, secret: str, session_id: str, account_id: str, now: datetime, ttl_seconds: int) -> str:
    payload = {
        "sid": session_id,
        "acc": account_id,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl_seconds)).timestamp()),
    }
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


def token_decode(*, secret: str, token: str) -> TokenClaims:
    """Verify signature, algorithm (HS256 only, so never `none`), issuer and expiry."""
    try:
        payload = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sid", "acc", "exp", "iat", "iss"]},
        )
    except jwt.PyJWTError as exc:
        raise TokenError(str(exc)) from exc
    if not isinstance(payload["sid"], str) or not isinstance(payload["acc"], str):
        raise TokenError("malformed claims")
    return TokenClaims(session_id=payload["sid"], account_id=payload["acc"])
