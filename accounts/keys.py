"""API key format, generation and hashing (pure helpers, no database access)."""
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX_LENGTH = 12
_MODES = {"sk_live_": "live", "sk_test_": "test"}
_URLSAFE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class ParsedKey:
    mode: str
    prefix: str
    key_hash: str


def generate_key(mode: str) -> str:
    """A new key: sk_<mode>_ followed by 43 URL-safe characters (256 bits)."""
    return f"sk_{mode}_{secrets.token_urlsafe(32)}"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def parse_key(raw: str) -> ParsedKey | None:
    """Split a presented key into its mode, lookup prefix and hash; None if malformed."""
    for marker, mode in _MODES.items():
        if raw.startswith(marker):
            secret = raw[len(marker) :]
            # Only the URL-safe alphabet generate_key uses: anything else (a NUL, a space) cannot be
            # a key, and must not reach the prefix lookup, since PostgreSQL refuses NUL in text.
            if len(secret) < PREFIX_LENGTH + 8 or not _URLSAFE.fullmatch(secret):
                return None
            return ParsedKey(mode=mode, prefix=secret[:PREFIX_LENGTH], key_hash=hash_key(raw))
    return None


def hashes_match(presented: str, stored: str) -> bool:
    return hmac.compare_digest(presented, stored)
