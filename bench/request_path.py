"""Side-by-side measurements of the request path; prints ratios (see docs/benchmarks.md).

Run with `make bench` (or `.venv/bin/python bench/request_path.py`). Uses a throw-away SQLite
database unless DATABASE_URL is set, real bcrypt cost (OTP_BCRYPT_ROUNDS, default 10), an
in-memory Celery broker (so a live send publishes its tasks but nothing delivers them), and
rate limits off. Every pair is measured interleaved in one run, so machine noise hits both sides.
"""
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
_tmp = tempfile.mkdtemp(prefix="otp-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_tmp}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "otpservice.settings.dev")
os.environ.setdefault("RATELIMIT_ENABLE", "false")
os.environ["DEBUG"] = "false"

import django

django.setup()

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.services import account_create
from otp.models import OTPSession
from otpservice.celery import app as celery_app
from wallet.services import wallet_topup

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "40"))
settings.ALLOWED_HOSTS = ["*"]
celery_app.conf.update(task_always_eager=False, broker_url="memory://")


def _client(key: str) -> APIClient:
    client = APIClient(HTTP_X_API_KEY=key)
    client.default_format = "json"
    return client


def _timed(call) -> float:
    start = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.content
    return elapsed


def _send_body(n: int) -> dict:
    return {
        "channels": ["email", "sms"],
        "recipients": {"email": f"user{n}@example.com", "sms": "+14155552671"},
    }


def _bulk_sessions(*, account, count: int) -> None:
    from django.utils import timezone

    from otp.models import ChannelVerification, OTPSession

    now = timezone.now()
    sessions = OTPSession.objects.bulk_create(
        OTPSession(account=account, sandbox=True, created_at=now, last_sent_at=now, expires_at=now)
        for _ in range(count)
    )
    ChannelVerification.objects.bulk_create(
        ChannelVerification(session=session, channel="sms", recipient="+14155552671") for session in sessions
    )


def main() -> None:
    call_command("migrate", verbosity=0)
    created = account_create(name="bench")
    wallet_topup(account=created.account, amount=Decimal("100000"), actor="bench")
    live, sandbox = _client(created.live_key), _client(created.test_key)

    live_send, sandbox_send = [], []
    for n in range(ROUNDS):
        body = _send_body(n)
        live_send.append(_timed(lambda body=body: live.post("/api/v1/otp/send", body)))
        sandbox_send.append(_timed(lambda body=body: sandbox.post("/api/v1/otp/send", body)))

    # Sessions list: the same page over a small and a large history (1,000 more sessions).
    other = account_create(name="bench-small")
    small = _client(other.test_key)
    for n in range(10):
        small.post("/api/v1/otp/send", _send_body(n))
    _bulk_sessions(account=created.account, count=1000)
    list_small, list_large = [], []
    for _ in range(ROUNDS):
        list_small.append(_timed(lambda: small.get("/api/v1/otp/sessions?limit=20")))
        list_large.append(_timed(lambda: sandbox.get("/api/v1/otp/sessions?limit=20")))
    with CaptureQueriesContext(connection) as small_q:
        small.get("/api/v1/otp/sessions?limit=20")
    with CaptureQueriesContext(connection) as large_q:
        sandbox.get("/api/v1/otp/sessions?limit=20")
    total_small = OTPSession.objects.filter(account=other.account).count()
    total_large = OTPSession.objects.filter(account=created.account).count()

    med = statistics.median
    print(f"database: {connection.vendor}; bcrypt rounds: {settings.OTP['BCRYPT_ROUNDS']}; rounds: {ROUNDS}")
    print()
    print("| comparison | ratio (median, same run) |")
    print("|---|---|")
    print(
        f"| sandbox send (2 codes hashed in the request) / live send (hashing left to the worker) "
        f"| {med(sandbox_send) / med(live_send):.1f}× |"
    )
    print(
        f"| sessions list, {total_large} sessions / {total_small} sessions (page of 20) "
        f"| {med(list_large) / med(list_small):.2f}× |"
    )
    print()
    print(f"queries for one sessions page: {len(small_q)} with {total_small} sessions, {len(large_q)} with {total_large}")


if __name__ == "__main__":
    main()
