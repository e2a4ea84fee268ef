"""wrk, run as a separate process against a server of the run; one figure per call."""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).resolve().parent / "lua"


@dataclass(frozen=True)
class Figure:
    name: str
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    first_non_2xx: str
    socket_errors: int


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("bench: wrk is missing (apt-get install -y wrk)")
    return path


def run(
    name: str, *, url: str, script: str, seconds: float, connections: int, threads: int = 1, **env: str
) -> Figure:
    """wrk -t threads -c connections -d seconds with bench/lua/<script>; env are BENCH_* variables."""
    variables = {
        **os.environ, "BENCH_LUA_DIR": str(LUA), "BENCH_THREADS": str(threads),
        **{f"BENCH_{key.upper()}": str(value) for key, value in env.items()},
    }
    out = subprocess.run(
        [wrk_path(), "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--timeout", "30s",
         "-s", str(LUA / script), url],
        env=variables, capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed for {name}: {out.stdout}\n{out.stderr}")
    line = next((line for line in out.stdout.splitlines() if line.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result for {name}: {out.stdout}\n{out.stderr}")
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    return Figure(name=name, **{k: result[k] for k in (
        "rps", "p50_ms", "p95_ms", "p99_ms", "requests", "non_2xx", "first_non_2xx", "socket_errors")})


def merged(name: str, figures: list[Figure]) -> Figure:
    """Rounds of one figure as one: requests over the rounds' total time; latencies the median of
    the rounds' percentiles (wrk reports no histogram to merge)."""
    requests = sum(f.requests for f in figures)
    seconds = sum(f.requests / f.rps for f in figures if f.rps)
    bad = next((f.first_non_2xx for f in figures if f.non_2xx), "none")
    return Figure(
        name=name, rps=requests / seconds if seconds else 0.0,
        p50_ms=statistics.median(f.p50_ms for f in figures), p95_ms=statistics.median(f.p95_ms for f in figures),
        p99_ms=statistics.median(f.p99_ms for f in figures), requests=requests,
        non_2xx=sum(f.non_2xx for f in figures), first_non_2xx=bad, socket_errors=sum(f.socket_errors for f in figures),
    )
