"""The table docs/security.md gives for choosing OTP_BCRYPT_ROUNDS: `make bench-bcrypt`.

For each cost: one check of a code hash as the service makes it (bcrypt over the 64-hex-digit
HMAC-SHA256 of session|channel|code), the verifications per second one core can do, and the time
one core needs to find a code from a stolen hash by trying every code (half the codes on average).
With the pepper (OTP_PEPPER) known to the thief that is the whole cost; without it each guess first
needs the 256-bit HMAC key, which no number of cores finds. All costs are measured in one run,
interleaved, so the ratios between rows hold on a noisy machine.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import statistics
import sys
import time
from pathlib import Path

import bcrypt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _peppered(code: str) -> bytes:
    return hmac.new(os.urandom(32), f"session|sms|{code}".encode(), hashlib.sha256).hexdigest().encode()


def _human(seconds: float) -> str:
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:,.1f} {unit}"
    return f"{seconds:.1f} s"


def measure(costs: list[int], *, budget: float) -> dict[int, float]:
    """Median seconds of one check per cost; rounds interleave the costs until `budget` seconds."""
    secret = _peppered("123456")
    hashes = {cost: bcrypt.hashpw(secret, bcrypt.gensalt(rounds=cost)) for cost in costs}
    times: dict[int, list[float]] = {cost: [] for cost in costs}
    deadline = time.monotonic() + budget
    while True:
        for cost in costs:
            start = time.perf_counter()
            bcrypt.checkpw(secret, hashes[cost])
            times[cost].append(time.perf_counter() - start)
        if time.monotonic() > deadline and min(len(t) for t in times.values()) >= 3:
            break
    return {cost: statistics.median(t) for cost, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--costs", default="8,9,10,11,12,13", help="bcrypt costs, comma-separated")
    parser.add_argument("--seconds", type=float, default=20, help="time budget of the run (default 20)")
    args = parser.parse_args()
    costs = [int(c) for c in args.costs.split(",")]
    check = measure(costs, budget=args.seconds)
    base = check.get(10, check[costs[0]])
    print(f"{os.cpu_count()} cores; one check per cost, median, measured interleaved in one run.\n")
    print("| cost | one check | verifications/s per core | × cost 10 | 6 digits, pepper known | "
          "8 digits, pepper known | either, pepper not known |")
    print("|---|---|---|---|---|---|---|")
    for cost in costs:
        t = check[cost]
        print(f"| {cost} | {t * 1000:.1f} ms | {1 / t:,.1f} | {t / base:.2f}× | {_human(10**6 / 2 * t)} | "
              f"{_human(10**8 / 2 * t)} | infeasible (a random 32-byte pepper) |")
    print("\nBrute-force times: one core trying half the codes of one session's hash on average; divide by "
          "the cores an attacker brings.")


if __name__ == "__main__":
    main()
