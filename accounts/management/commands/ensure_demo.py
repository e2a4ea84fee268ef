"""ensure_demo: make sure a demo account, its keys and an admin login exist, and print how to use them.

Keys are stored hashed, so a key can be shown again only from a copy: `make run` passes
`--keys-file .demo-keys.json` (git-ignored, mode 0600, read by nothing else), and the keys kept
there are printed again for as long as they still authenticate. A key that no longer does (a new
database, a key revoked in admin) is replaced by a new one, and only that one. Without the file
nothing can be shown again, so each run issues new keys and revokes none.
"""
from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.keys import parse_key
from accounts.models import Account, ApiKey
from accounts.services import account_create, api_key_issue
from wallet.services import wallet_topup

DEMO_NAME = "Demo"
MODES = {"live_key": ApiKey.Mode.LIVE, "test_key": ApiKey.Mode.TEST}


def _authenticates(*, raw: object, account: Account, mode: str) -> bool:
    """The key is one of the account's in this mode, and not revoked (what authentication checks)."""
    parsed = parse_key(raw) if isinstance(raw, str) else None
    if parsed is None or parsed.mode != mode:
        return False
    return ApiKey.objects.filter(
        Q(revoked_at__isnull=True) | Q(revoked_at__gt=timezone.now()),
        account=account,
        mode=mode,
        prefix=parsed.prefix,
        key_hash=parsed.key_hash,
    ).exists()


def _read(path: Path | None) -> dict:
    if path is None or not path.exists():
        return {}
    try:
        kept = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}  # unreadable or not ours: replaced below
    return kept if isinstance(kept, dict) else {}


def _write(path: Path, keys: dict[str, str]) -> None:
    """Only the owner may read it: it holds working keys."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        os.fchmod(handle.fileno(), 0o600)  # also when the file existed with other permissions
        json.dump(keys, handle, indent=2)
        handle.write("\n")


class Command(BaseCommand):
    help = "Create (once) the demo account, its keys and an admin user for local use, and print them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--keys-file",
            type=Path,
            default=None,
            help="JSON file keeping the demo keys between runs (make run: .demo-keys.json); written 0600.",
        )

    def handle(self, *args, keys_file: Path | None, **options):
        kept = _read(keys_file)
        with transaction.atomic():
            account = Account.objects.filter(name=DEMO_NAME).order_by("created_at").first()
            keys: dict[str, str] = {}
            if account is None:
                created = account_create(name=DEMO_NAME)
                account = created.account
                wallet_topup(account=account, amount=Decimal("10.0000"), actor="ensure_demo")
                keys = {"live_key": created.live_key, "test_key": created.test_key}
            reused = []
            for field, mode in MODES.items():
                if field in keys:
                    continue
                if _authenticates(raw=kept.get(field), account=account, mode=mode):
                    keys[field] = kept[field]
                    reused.append(field)
                else:
                    keys[field] = api_key_issue(account=account, mode=mode, name=f"make run {mode}").raw
            login = self._admin_login()
        if keys_file is not None:
            _write(keys_file, {"account_id": str(account.id), **keys})
        self._report(keys=keys, reused=reused, login=login, keys_file=keys_file)

    def _admin_login(self) -> str:
        username = os.environ.get("ADMIN_USERNAME", "admin")
        password = os.environ.get("ADMIN_PASSWORD", "admin")
        user_model = get_user_model()
        if user_model.objects.filter(username=username).exists():
            return f"{username} (existing password)"
        user_model.objects.create_superuser(username=username, email="", password=password)
        return f"{username} / {password}"

    def _report(self, *, keys: dict[str, str], reused: list[str], login: str, keys_file: Path | None) -> None:
        outbox = settings.OTP.get("OUTBOX_FILE", "")
        if settings.OTP.get("DELIVERY") == "live":
            delivery = "live (OTP_DELIVERY=live): Twilio and SendGrid deliver"
        elif outbox:
            delivery = f"outbox: every message is appended in full to {Path(outbox).resolve()} and shown in admin"
        else:
            delivery = (
                "outbox: messages are shown in admin (code masked); with OTP_OUTBOX_FILE=outbox.jsonl "
                "they are also appended in full to that file"
            )
        if len(reused) == len(MODES):
            kept = f"the same keys as last time, kept in {keys_file}"
        elif keys_file is not None:
            kept = f"kept in {keys_file} (mode 0600): the next run prints these again"
        else:
            kept = "shown only now (pass --keys-file to keep them)"
        lines = [
            "",
            "Demo account ready.",
            f"  live API key (delivered and charged): {keys['live_key']}",
            f"  test API key (sandbox, codes in responses): {keys['test_key']}",
            f"  keys: {kept}",
            f"  admin login: {login}",
            f"  delivery: {delivery}",
            "",
        ]
        self.stdout.write("\n".join(lines))
