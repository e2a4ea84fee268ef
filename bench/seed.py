"""Data for a benchmark run, written straight into its database with psql (generate_series, COPY).

Only pure helpers of the project are imported (otp.hashing, otp.tokens): the bench process never
runs Django, so nothing it does shares state with the servers it measures.
"""
from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.topology import PG_SERVER, Topology, psql  # noqa: E402
from otp.hashing import generate_code, hash_code  # noqa: E402
from otp.tokens import token_issue  # noqa: E402

SESSION_COLUMNS = (
    "id, account_id, status, verification_strategy, required_channels, otp_length, expiry_minutes, max_attempts, "
    "failed_attempts, resend_count, metadata, locale, android_app_hash, sandbox, add_contact, created_at, "
    "last_sent_at, expires_at, verified_at"
)
CHANNEL_COLUMNS = (
    "session_id, channel, recipient, code_hash, generation, delivery_status, provider, provider_message_id, "
    "last_error, updated_at"
)


def account_create(topology: Topology, *, name: str, balance: str = "10000000") -> dict:
    out = topology.manage("create_account", name, "--balance", balance)
    return json.loads(out.strip().splitlines()[-1])


def history_add(*, database: str, account_id: str, count: int) -> float:
    """`count` past sessions (a month of them: 70 % verified, 20 % expired as housekeeping marks them,
    10 % cancelled), one email or SMS row each.

    Returns the seconds it took (generate_series, then VACUUM ANALYZE so the planner knows the sizes,
    then a CHECKPOINT).
    """
    if count <= 0:
        return 0.0
    start = time.perf_counter()
    psql(f"""
        CREATE TEMP TABLE seeded AS
        SELECT gen_random_uuid() AS id, n,
               now() - interval '30 days' * random() - interval '1 hour' AS created
        FROM generate_series(1, {count}) AS n;
        INSERT INTO otp_otpsession ({SESSION_COLUMNS})
        SELECT id, '{account_id}', CASE WHEN n % 10 < 7 THEN 'VERIFIED' WHEN n % 10 < 9 THEN 'EXPIRED' ELSE 'CANCELLED' END, 'all', '[]', 6, 10, 3,
               0, 0, jsonb_build_object('n', (n % 100)::text), '', '', n % 5 = 0, false, created, created,
               created + interval '10 minutes', CASE WHEN n % 10 < 7 THEN created + interval '1 minute' END
        FROM seeded;
        INSERT INTO otp_channelverification ({CHANNEL_COLUMNS})
        SELECT id, CASE WHEN n % 3 = 0 THEN 'sms' ELSE 'email' END,
               CASE WHEN n % 3 = 0 THEN '+14155552671' ELSE 'h' || n || '@example.com' END,
               '', 1, 'SENT', 'outbox', '', '', created
        FROM seeded;
    """, database=database)  # noqa: S608 - a uuid and an int of ours
    # VACUUM, not only ANALYZE: after a bulk insert of this size autovacuum would otherwise start
    # on these tables during the next figures and take a core from them (a table in production is
    # not freshly loaded). Its own command: VACUUM cannot run in the transaction a multi-statement -c is.
    psql("VACUUM (ANALYZE) otp_otpsession, otp_channelverification", database=database)
    # And a checkpoint: the load wrote up to ~1 GB of WAL, whose checkpoint would otherwise flush
    # it to disk during the next figures (the checkpointer competes for the disk and a core).
    psql("CHECKPOINT", database=database)
    return time.perf_counter() - start


def _copy(*, database: str, table: str, columns: str, rows: list[str]) -> None:
    subprocess.run(
        ["psql", f"{PG_SERVER}/{database}", "-v", "ON_ERROR_STOP=1", "-qc",
         f"\\copy {table} ({columns}) FROM pstdin"],
        input="\n".join(rows) + "\n", text=True, check=True, capture_output=True,
    )


def live_sessions(
    *, topology: Topology, account_id: str, count: int, path: Path, with_codes: bool, rounds: int, tag: str
) -> Path:
    """`count` pending live sessions of one email channel, written with COPY; `path` gets one line
    per session: its session token, and its code when `with_codes` (the code hashed at `rounds`,
    in threads, since bcrypt releases the GIL)."""
    env = topology.env
    now = datetime.now(UTC)
    ids = [str(uuid.uuid4()) for _ in range(count)]
    codes = [generate_code(6) for _ in ids] if with_codes else [""] * count

    def hashed(pair):
        session_id, code = pair
        return hash_code(pepper=env["OTP_PEPPER"], session_id=session_id, channel="email", code=code, rounds=rounds)

    if with_codes:
        with ThreadPoolExecutor(max_workers=2) as pool:
            hashes = list(pool.map(hashed, zip(ids, codes, strict=True)))
    else:
        hashes = [""] * count
    stamp = now.isoformat()
    expires = datetime.fromtimestamp(now.timestamp() + 3 * 3600, UTC).isoformat()
    _copy(database=topology.database, table="otp_otpsession", columns=SESSION_COLUMNS, rows=[
        f"{sid}\t{account_id}\tPENDING\tall\t[]\t6\t60\t3\t0\t0\t{{}}\t\t\tf\tf\t{stamp}\t{stamp}\t{expires}\t\\N"
        for sid in ids
    ])
    _copy(database=topology.database, table="otp_channelverification", columns=CHANNEL_COLUMNS, rows=[
        f"{sid}\temail\t{tag}-{n}-{secrets.token_hex(3)}@example.com\t{code_hash}\t1\tSENT\toutbox\t\t\t{stamp}"
        for n, (sid, code_hash) in enumerate(zip(ids, hashes, strict=True))
    ])
    lines = []
    for sid, code in zip(ids, codes, strict=True):
        token = token_issue(
            secret=env["OTP_TOKEN_SECRET"], session_id=sid, account_id=account_id, now=now, ttl_seconds=24 * 3600
        )
        lines.append(f"{token} {code}".rstrip())
    path.write_text("\n".join(lines) + "\n")
    return path


def session_ids(path: Path) -> list[str]:
    """The session ids of a file written by live_sessions (read back from its tokens)."""
    import jwt

    return [jwt.decode(line.split()[0], options={"verify_signature": False})["sid"]
            for line in path.read_text().splitlines() if line]
