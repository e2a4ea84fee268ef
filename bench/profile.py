"""Where a request's CPU goes: each request kind run in this process on production settings.

    make bench-profile                                    # CPU per request of each kind, side by side
    BENCH_ARGS="--tree send" make bench-profile           # and pyinstrument's call tree of one kind

Django's handler runs in this process through its test client: no gunicorn and no HTTP parsing, so
what is measured is the application's own work (middleware, DRF, services, the ORM and drivers).
Production settings and throw-away secrets, a PostgreSQL database of its own (otp_profile_<pid>,
dropped at the end) and Redis db BENCH_REDIS_DB (2, as bench/stack.py: do not run both at once).
The kinds run in alternating rounds so the machine's noise falls on all of them, and each figure is
this process's CPU time per request (time.process_time): PostgreSQL's and Redis's own work is not
in it. A verify's figure is given beside one bcrypt check at the configured cost measured in the
same rounds, since the check is most of it and what the targets of docs/benchmarks.md compare.
`--tree` needs pyinstrument, which the project does not install: `.venv/bin/pip install pyinstrument==5.1.3`.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.topology import Topology  # noqa: E402

LIST_HISTORY = 200  # sessions of the listed account: a page of 20 and a count of 200
KINDS = ("healthz", "session GET", "sessions list", "send live", "verify live")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind a round (default 200)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--bcrypt-rounds", type=int, default=int(os.environ.get("OTP_BCRYPT_ROUNDS", "10")))
    parser.add_argument("--tree", choices=[k.split()[0] for k in KINDS], help="print the call tree of this kind")
    args = parser.parse_args()
    topology = Topology(name=f"otp_profile_{os.getpid()}", extra_env={"OTP_BCRYPT_ROUNDS": str(args.bcrypt_rounds)})
    try:
        topology.create()
        os.environ.update(topology.env)
        _run(args)
    finally:
        topology.close()


def _run(args) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from accounts.services import account_create
    from otp.hashing import check_code, hash_code
    from otp.models import ChannelVerification
    from wallet.services import wallet_topup

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    created = account_create(name="profile")
    wallet_topup(account=created.account, amount=Decimal("100000000"), actor="bench")
    live, anonymous = Client(HTTP_X_API_KEY=created.live_key, secure=True), Client(secure=True)
    pepper, rounds = settings.OTP_PEPPER, args.bcrypt_rounds
    counter = iter(range(10**9))

    def ok(response) -> dict:
        if response.status_code != 200:
            raise SystemExit(f"bench: {response.status_code} {response.content[:300]!r}")
        return response.json() if response.content else {}

    def send() -> dict:
        body = {"channels": ["email"], "recipients": {"email": f"p{next(counter)}@example.com"}}
        return ok(live.post("/api/v1/otp/send", json.dumps(body), content_type="application/json"))

    def verifiable(count: int) -> list[tuple[str, str]]:
        # Live sessions whose code this process knows: the worker would hash a code nobody can read.
        pending = []
        for _ in range(count):
            sent = send()
            row = ChannelVerification.objects.get(session_id=sent["session_id"], channel="email")
            code = f"{next(counter) % 10**6:06d}"
            row.code_hash = hash_code(pepper=pepper, session_id=str(row.session_id), channel="email", code=code,
                                      rounds=rounds)
            row.save(update_fields=["code_hash"])
            pending.append((sent["session_token"], code))
        return pending

    # The list reads an account of its own whose history stays the same through the rounds (the
    # sends below would otherwise grow it), analyzed as autovacuum would have by then.
    lister = account_create(name="profile-list")
    wallet_topup(account=lister.account, amount=Decimal("100000"), actor="bench")
    listing = Client(HTTP_X_API_KEY=lister.live_key, secure=True)
    for n in range(LIST_HISTORY):
        body = {"channels": ["email"], "recipients": {"email": f"list{n}@example.com"}}
        ok(listing.post("/api/v1/otp/send", json.dumps(body), content_type="application/json"))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    session_id = send()["session_id"]
    one_hash = hash_code(pepper=pepper, session_id=session_id, channel="email", code="123456", rounds=rounds)
    calls: dict[str, Callable[[], object]] = {
        "healthz": lambda: ok(anonymous.get("/healthz")),
        "session GET": lambda: ok(live.get(f"/api/v1/otp/sessions/{session_id}")),
        "sessions list": lambda: ok(listing.get("/api/v1/otp/sessions?status=PENDING&channel=email&limit=20")),
        "send live": send,
        "bcrypt check": lambda: check_code(pepper=pepper, session_id=session_id, channel="email", code="123456",
                                           code_hash=one_hash),
    }
    verify_count = max(10, args.requests // 10)  # a verify costs a bcrypt check: fewer of them
    for name, call in calls.items():  # warm: connections, caches, imports
        for _ in range(20 if name != "bcrypt check" else 2):
            call()
    cpu: dict[str, list[float]] = {name: [] for name in [*calls, "verify live"]}
    for _ in range(args.rounds):
        for name, call in calls.items():
            count = verify_count if name == "bcrypt check" else args.requests
            cpu[name].append(_cpu_per_call(call, count))
        pending = verifiable(verify_count)
        cpu["verify live"].append(_cpu_per_call(_verifier(live, pending, ok), verify_count))
    _print(cpu, args)
    if args.tree:
        kind = next(k for k in KINDS if k.split()[0] == args.tree)
        call = _verifier(live, verifiable(verify_count), ok) if kind == "verify live" else calls[kind]
        _tree(call, verify_count if kind == "verify live" else args.requests)


def _verifier(client, pending: list[tuple[str, str]], ok) -> Callable[[], object]:
    queue = iter(pending)

    def verify() -> object:
        token, code = next(queue)
        body = {"session_token": token, "otps": {"email": code}}
        result = ok(client.post("/api/v1/otp/verify", json.dumps(body), content_type="application/json"))
        if result.get("status") != "VERIFIED":
            raise SystemExit(f"bench: a right code did not verify: {result}")
        return result

    return verify


def _cpu_per_call(call: Callable[[], object], count: int) -> float:
    start = time.process_time()
    for _ in range(count):
        call()
    return (time.process_time() - start) / count * 1000


def _print(cpu: dict[str, list[float]], args) -> None:
    med = {name: statistics.median(values) for name, values in cpu.items()}
    print(f"CPU of this process per request, ms (median of {args.rounds} alternating rounds; "
          f"{args.requests} requests a round, bcrypt cost {args.bcrypt_rounds})\n")
    print("| kind | CPU ms | ratio to healthz | rounds |")
    print("|---|---|---|---|")
    for name, value in med.items():
        rounds = ", ".join(f"{v:.2f}" for v in cpu[name])
        print(f"| {name} | {value:.2f} | {value / med['healthz']:.1f}× | {rounds} |")
    print(f"\nverify live besides its bcrypt check: {med['verify live'] - med['bcrypt check']:.2f} ms")


def _tree(call: Callable[[], object], count: int) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise SystemExit("bench: --tree needs pyinstrument: .venv/bin/pip install pyinstrument==5.1.3") from None
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(count):
        call()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
