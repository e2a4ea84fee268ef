"""Allow and block lists per account: numbers, number prefixes, emails and @domains.

Matching uses the canonical recipient (otpservice.recipients): a blocked `ada@gmail.com` also
blocks `a.d.a+x@gmail.com`. When entries of both lists match, the more specific one wins (a longer
number prefix; an address over its domain), and a block wins a tie: allowing one number inside a
blocked country works, blocking one number inside an allowed prefix too.
"""
from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from django.db import IntegrityError, transaction
from email_validator import EmailNotValidError, validate_email

from accounts.models import Account
from otpservice.errors import InvalidRequest
from otpservice.process_cache import ProcessCache
from otpservice.recipients import EMAIL_CHANNELS, canonical_email
from otpservice.validation import RecipientError, normalize_email

from .decisions import decision_record, memoized
from .exceptions import FraudEntryNotFound, ListEntryExists, RecipientBlocked
from .models import FraudListEntry
from .policy import fraud_policy_for
from .rules import Mode, Rule, phone_country
from .subjects import recipient_subject

_PREFIX = re.compile(r"\+[1-9][0-9]{0,14}", re.ASCII)
Kind = FraudListEntry.Kind
ValueKind = FraudListEntry.ValueKind


def _invalid(message: str) -> InvalidRequest:
    return InvalidRequest(f"value: {message}", details={"field": "value", "errors": {"value": [message]}})


def _domain(domain: str) -> str:
    try:
        result = validate_email(f"x@{domain}", check_deliverability=False)
    except EmailNotValidError as exc:
        raise _invalid(f"not a valid email domain ({exc})") from exc
    return result.ascii_domain.lower()


def list_value_parse(value: str) -> tuple[str, str, str]:
    """(value kind, value as stored, canonical match) of what an integrator typed; 400 otherwise."""
    value = value.strip()
    if value.startswith("+"):
        if not _PREFIX.fullmatch(value):
            raise _invalid("a number or prefix is + and up to 15 digits, e.g. +33 or +33612345678")
        return ValueKind.PHONE, value, value
    if value.startswith("@"):
        domain = _domain(value[1:])
        return ValueKind.DOMAIN, f"@{domain}", canonical_email(f"x@{domain}").replace("x@", "@", 1)
    if "@" in value:
        try:
            address = normalize_email(value)
        except RecipientError as exc:
            raise _invalid(str(exc)) from exc
        return ValueKind.EMAIL, address, canonical_email(address)
    raise _invalid("expected a number or +prefix, an email address, or an @domain")


def match_candidates(*, channel: str, recipient: str) -> list[tuple[str, int]]:
    """(canonical match, specificity) of every entry that would cover this normalized recipient."""
    if channel in EMAIL_CHANNELS:
        canonical = canonical_email(recipient)
        return [(canonical, 2), ("@" + canonical.rpartition("@")[2], 1)]
    return [(recipient[:end], end) for end in range(2, len(recipient) + 1)]


@dataclass(frozen=True)
class Verdict:
    kind: str  # "allow" or "block"
    entry: FraudListEntry


def lists_verdicts(*, account: Account, recipients: Mapping[str, str]) -> dict[str, Verdict]:
    """channel -> the list decision for its recipient (channels no entry covers are absent); one query
    (none when the request asked already)."""
    key = ("lists", account.pk, tuple(sorted(recipients.items())))
    return memoized(key, lambda: _verdicts(account=account, recipients=recipients))


# An account's whole list, indexed by match, is cached per process (otpservice.process_cache), so
# sends to recipients never seen before (most of them) read no list either. Up to CACHED_MAX entries:
# loading that many short rows once per TTL costs what a few per-send lookups do, and keeps an
# account's share of memory near 0.5 MB; a longer list is looked up per send, on its index, as
# before (only the fact that it is long is cached). The cache weighs entries, so at most
# CACHED_TOTAL of them are held in all, whatever the number of accounts.
CACHED_MAX, CACHED_TOTAL = 1_000, 20_000
_TOO_LONG = MappingProxyType({})  # the cached answer for a list over CACHED_MAX
_lists = ProcessCache("fraud_lists", max_weight=CACHED_TOTAL, copies=False)
_lists.drop_on_change(FraudListEntry, key=lambda entry: entry.account_id)


def _lists_load(account_id) -> MappingProxyType:
    # Unordered, so PostgreSQL stops after CACHED_MAX + 1 rows however long the list.
    rows = list(FraudListEntry.objects.filter(account_id=account_id).order_by()[: CACHED_MAX + 1])
    if len(rows) > CACHED_MAX:
        return _TOO_LONG
    by_match: dict[str, list[FraudListEntry]] = {}
    for entry in rows:
        by_match.setdefault(entry.match, []).append(entry)
    # Pickled per match: a send unpickles only the few entries it matches, each a fresh copy.
    return MappingProxyType({match: pickle.dumps(found) for match, found in by_match.items()})


def _entries_matching(account: Account, matches: set[str]) -> dict[str, list[FraudListEntry]]:
    cached = _lists.get(account.pk, lambda: _lists_load(account.pk), weight=lambda index: len(index) + 1)
    if cached is _TOO_LONG:
        entries: dict[str, list[FraudListEntry]] = {}
        for entry in FraudListEntry.objects.filter(account=account, match__in=matches):
            entries.setdefault(entry.match, []).append(entry)
        return entries
    return {match: pickle.loads(cached[match]) for match in matches if match in cached}  # noqa: S301 - ours


def _verdicts(*, account: Account, recipients: Mapping[str, str]) -> dict[str, Verdict]:
    candidates = {channel: match_candidates(channel=channel, recipient=r) for channel, r in recipients.items()}
    matches = {match for pairs in candidates.values() for match, _ in pairs}
    if not matches:
        return {}
    entries = _entries_matching(account, matches)
    verdicts = {}
    for channel, pairs in candidates.items():
        found = [(specificity, entry.kind == Kind.BLOCK, entry) for match, specificity in pairs for entry in entries.get(match, [])]
        if found:
            _, _, entry = max(found, key=lambda item: (item[0], item[1]))
            verdicts[channel] = Verdict(kind=entry.kind, entry=entry)
    return verdicts


def list_entry_add(*, account: Account, kind: str, value: str) -> FraudListEntry:
    value_kind, stored, match = list_value_parse(value)
    try:
        with transaction.atomic():
            return FraudListEntry.objects.create(
                account=account, kind=kind, value_kind=value_kind, value=stored, match=match
            )
    except IntegrityError as exc:
        raise ListEntryExists(
            f"List entry exists: {stored} is already on the {kind} list",
            details={"field": "value", "value": stored},
        ) from exc


def list_entry_remove(*, account: Account, kind: str, entry_id: int) -> None:
    deleted, _ = FraudListEntry.objects.filter(account=account, kind=kind, pk=entry_id).delete()
    if not deleted:
        raise FraudEntryNotFound("Not found: no such list entry")


def blocklist_check(*, account: Account, recipients: Mapping[str, str]) -> None:
    """403 recipient_blocked for a recipient the account's block list covers (block mode); record
    mode only records it. Sandbox too, so an integration meets its lists before it goes live."""
    policy = fraud_policy_for(account)
    if not policy.on(Rule.BLOCKLIST):
        return
    for channel, verdict in lists_verdicts(account=account, recipients=recipients).items():
        if verdict.kind != Kind.BLOCK:
            continue
        decision_record(
            account=account, rule=Rule.BLOCKLIST, mode=policy.mode(Rule.BLOCKLIST), channel=channel,
            country="" if channel in EMAIL_CHANNELS else phone_country(recipients[channel]),
            recipient_hash=recipient_subject(channel=channel, recipient=recipients[channel]),
            detail=f"block list entry {verdict.entry.pk}",
        )
        if policy.mode(Rule.BLOCKLIST) == Mode.BLOCK:
            raise RecipientBlocked(
                f"Recipient blocked: recipients.{channel} is on this account's block list",
                details={"reason": Rule.BLOCKLIST, "field": f"recipients.{channel}", "entry_id": verdict.entry.pk},
            )
