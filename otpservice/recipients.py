"""Recipient identity: the canonical form every limit, cap and contact match uses (DESIGN §4).

Recipients are stored as given after normalization; two spellings of one inbox are one recipient
to the limits. Without this, `Ada@Example.com`, `ada@example.com` and, at Gmail, `a.d.a+x@gmail.com`
would each get their own budget while they all reach one person.
"""
from __future__ import annotations

# Gmail ignores dots in the local part and everything from a "+"; googlemail.com is the same service.
GMAIL_DOMAINS = frozenset({"gmail.com", "googlemail.com"})
EMAIL_CHANNELS = frozenset({"email"})


def canonical_email(address: str) -> str:
    """The whole address case-folded; at Gmail also without dots and +tags, under gmail.com.

    Case-folding the local part is stricter than RFC 5321 allows in theory, and what every mailbox
    provider does in practice: treating the spellings as one can only tighten a limit.
    """
    local, _, domain = address.rpartition("@")
    local, domain = local.casefold(), domain.casefold()
    if domain in GMAIL_DOMAINS:
        local = local.split("+", 1)[0].replace(".", "")
        domain = "gmail.com"
    return f"{local}@{domain}"


def canonical_recipient(*, channel: str, recipient: str) -> str:
    """The identity of a normalized recipient: canonical for email; phones are E.164 already."""
    return canonical_email(recipient) if channel in EMAIL_CHANNELS else recipient
