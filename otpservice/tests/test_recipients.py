"""The canonical recipient: one identity per inbox, whatever the spelling."""
from hypothesis import given
from hypothesis import strategies as st

from otpservice.recipients import canonical_email, canonical_recipient

local_parts = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", min_size=1, max_size=20)
domains = st.sampled_from(["example.com", "Example.COM", "corp.example.org", "gmail.com", "GoogleMail.com", "GMAIL.com"])


@given(local_parts, domains)
def test_canonical_email_is_idempotent(local, domain):
    once = canonical_email(f"{local}@{domain}")
    assert canonical_email(once) == once


@given(local_parts, domains)
def test_case_never_makes_another_recipient(local, domain):
    assert canonical_email(f"{local.upper()}@{domain.upper()}") == canonical_email(f"{local.lower()}@{domain.lower()}")


@given(local_parts, st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.", max_size=10))
def test_gmail_ignores_dots_and_plus_tags_and_googlemail_is_gmail(local, tag):
    plain = canonical_email(f"{local.replace('.', '')}@gmail.com")
    dotted = ".".join(local)
    assert canonical_email(f"{dotted}+{tag}@GoogleMail.com") == plain
    assert canonical_email(f"{local}@gmail.com") == plain


def test_dots_and_tags_elsewhere_are_different_mailboxes():
    assert canonical_email("a.da@example.com") != canonical_email("ada@example.com")
    assert canonical_email("ada+x@example.com") != canonical_email("ada@example.com")
    assert canonical_email("Ada@Example.com") == "ada@example.com"


def test_phones_are_their_e164_form():
    assert canonical_recipient(channel="sms", recipient="+14155552671") == "+14155552671"
    assert canonical_recipient(channel="email", recipient="A.D.A+x@gmail.com") == "ada@gmail.com"
