"""Measurements that are not a wrk run: the bcrypt ceiling and the worker's drain rate."""
from __future__ import annotations

import json
import os
import statistics
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import bcrypt

from bench.topology import Topology, cpu_by_pid, cpu_since, machine_busy_seconds, postgres_pids, psql


def bcrypt_check_seconds(*, rounds: int, checks: int = 12) -> float:
    """Median seconds of one bcrypt check at `rounds`, in this process (one core)."""
    hashed = bcrypt.hashpw(b"0" * 64, bcrypt.gensalt(rounds=rounds))
    times = []
    for _ in range(checks):
        start = time.perf_counter()
        bcrypt.checkpw(b"0" * 64, hashed)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bcrypt_ceiling(*, rounds: int) -> tuple[float, float]:
    """(checks per second the machine can do: cores ÷ one check, seconds of one check)."""
    one = bcrypt_check_seconds(rounds=rounds)
    return (os.cpu_count() or 1) / one, one


def _post(url: str, key: str, body: dict) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "X-API-Key": key},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


# The worker's first deliveries include each pool process's warm-up (its first database connection,
# templates compiled, caches filled), as the web's figures follow a warm-up run: the steady rate
# starts after this many deliveries, two per pool process.
WARM_DELIVERIES = 8


def drain_rate(*, topology: Topology, live_key: str, count: int, timeout: float = 300) -> dict:
    """Queue `count` live sends with no worker running, start one worker, and time its deliveries.

    The rates are taken from the attempts' own timestamps, so the worker's start-up is not counted:
    `rate` from the first delivery to the last, `steady_rate` from the WARM_DELIVERIES-th on. The
    queue is emptied first: earlier figures left tasks in it.
    """
    topology.stop("worker")
    topology.redis("FLUSHDB")
    marker = psql("SELECT now()", database=topology.database)
    tag = f"drain{os.getpid()}"
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(
            lambda n: _post(f"{topology.url}/api/v1/otp/send", live_key,
                            {"channels": ["email"], "recipients": {"email": f"d{n}-{tag}@example.com"}}),
            range(count),
        ))
    if any(status != 200 for status in statuses):
        raise RuntimeError(f"drain sends answered {sorted(set(statuses))}")
    topology.start_worker()
    deadline = time.monotonic() + timeout
    # The marker is PostgreSQL's own timestamp.
    sent_after = f"FROM otp_deliveryattempt WHERE outcome = 'sent' AND attempted_at > '{marker}'"  # noqa: S608
    # The worker's own CPU per delivery (master and pool) over the steady stretch, what the
    # deliveries cost beside their hashes; PostgreSQL's and the whole machine's say where the rest went.
    first: tuple[int, dict, dict, float] | None = None
    while True:
        sent = int(psql(f"SELECT count(*) {sent_after}", database=topology.database))
        if first is None and sent >= WARM_DELIVERIES:
            first = (sent, cpu_by_pid(topology.pids("worker")), cpu_by_pid(postgres_pids()), machine_busy_seconds())
        if sent >= count or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    done = sent - first[0] if first else 0
    cpu_per_delivery = postgres_per_delivery = machine_per_delivery = 0.0
    if done > 0:
        cpu_per_delivery = cpu_since(first[1], topology.pids("worker")) / done
        postgres_per_delivery = cpu_since(first[2], postgres_pids()) / done
        machine_per_delivery = (machine_busy_seconds() - first[3]) / done
    epoch = "extract(epoch FROM attempted_at)"
    # Count and times from one statement, so they describe the same deliveries.
    times = psql(f"SELECT count(*), min({epoch}), max({epoch}), (SELECT {epoch} {sent_after} ORDER BY "  # noqa: S608
                 f"attempted_at OFFSET {WARM_DELIVERIES - 1} LIMIT 1) {sent_after}", database=topology.database).split("|")
    sent = int(times[0])
    began, ended, warm = (float(value) if value else 0.0 for value in times[1:])
    span, steady_span = ended - began, ended - warm
    memory = topology.memory()
    topology.stop("worker")
    return {
        "deliveries": sent, "seconds": span, "rate": (sent - 1) / span if span > 0 else 0.0,
        "steady_rate": (sent - WARM_DELIVERIES) / steady_span if warm and steady_span > 0 else 0.0,
        "complete": sent >= count, "cpu_per_delivery": cpu_per_delivery,
        "postgres_per_delivery": postgres_per_delivery, "machine_per_delivery": machine_per_delivery, "memory": {k: v for k, v in memory.items() if k.startswith("worker")},
    }
