"""Code generation and hashing: bcrypt(HMAC-SHA256(pepper, session|channel|code)). Pure helpers."""
import hashlib
import hmac
import secrets

import bcrypt


def generate_code(length: int) -> str:
    """A uniformly random string of `length` decimal digits from the OS CSPRNG."""
    return "".join(secrets.choice("0123456789") for _ in range(length))


def _peppered(*, pepper: str, session_id: str, channel: str, code: str) -> bytes:
    # bcrypt reads at most 72 bytes; a hex HMAC is 64, so nothing is truncated. The pepper
    # keeps a stolen database useless without the key, and binding session and channel stops
    # a hash from being replayed onto another row.
    message = f"{session_id}|{channel}|{code}".encode()
    return hmac.new(pepper.encode(), message, hashlib.sha256).hexdigest().encode()


def hash_code(*, pepper: str, session_id: str, channel: str, code: str, rounds: int) -> str:
    peppered = _peppered(pepper=pepper, session_id=session_id, channel=channel, code=code)
    return bcrypt.hashpw(peppered, bcrypt.gensalt(rounds=rounds)).decode()


def check_code(*, pepper: str, session_id: str, channel: str, code: str, code_hash: str) -> bool:
    """Constant-time check; False for an empty or malformed hash."""
    if not code_hash:
        return False
    peppered = _peppered(pepper=pepper, session_id=session_id, channel=channel, code=code)
    try:
        return bcrypt.checkpw(peppered, code_hash.encode())
    except ValueError:
        return False
