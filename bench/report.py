"""The results of one run of bench/stack.py, as the markdown section docs/benchmarks.md collects."""
from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.measure import WARM_DELIVERIES

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


@dataclass
class Results:
    command: str
    seconds: float
    connections: int
    rounds: int
    figures: dict = field(default_factory=dict)
    ceiling: float = 0.0
    check_seconds: float = 0.0
    ceiling_drain: float = 0.0
    check_seconds_drain: float = 0.0
    drain: dict = field(default_factory=dict)
    memory: dict = field(default_factory=dict)
    scale: dict = field(default_factory=dict)
    peer_version: str = ""
    cpu: dict = field(default_factory=dict)
    workers: int = 2


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _target(ratio: float, bound: float, *, at_most: bool = False) -> str:
    met = ratio <= bound if at_most else ratio >= bound
    return f"{'met' if met else '**not met**'} ({'≤' if at_most else '≥'} {bound:g}×)"


def _targets(r: Results) -> list[tuple[str, float, str]]:
    f = r.figures
    rows = [("session GET / healthz", _ratio(f["session GET"].rps, f["healthz"].rps),
             _target(_ratio(f["session GET"].rps, f["healthz"].rps), 0.4))]
    if "peer register" in f:
        ratio = _ratio(f["send live"].rps, f["peer register"].rps)
        rows.append(("web live send / django-phone-verify register", ratio, _target(ratio, 0.75)))
    ratio = _ratio(f["verify"].rps, r.ceiling)
    rows.append(("verify / bcrypt ceiling", ratio, _target(ratio, 0.9)))
    if r.drain:
        ratio = _ratio(r.drain.get("steady_rate") or r.drain["rate"], r.ceiling_drain)
        rows.append(("worker delivery (steady) / bcrypt ceiling", ratio, _target(ratio, 0.85)))
    levels = list(r.scale)
    if len(levels) > 1:
        base, top = r.scale[levels[0]], r.scale[levels[-1]]
        # Slower means a smaller rate: the time ratio is base rate ÷ rate at the level.
        for name, bound in (("send", 1.2), ("verify", 1.2), ("list", 1.5)):
            ratio = _ratio(base[name].rps, top[name].rps)
            rows.append((f"{name} time, {levels[-1]} / {levels[0]} sessions", ratio, _target(ratio, bound, at_most=True)))
    return rows


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=DOC.parent)
    return out.stdout.strip() or "?"


def render(r: Results) -> str:
    f = r.figures
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"### Run of {now} (commit {_commit()})", "",
        f"`{r.command}` — {os.cpu_count()} cores ({platform.machine()}), {r.seconds:g} s per figure, "
        f"wrk with {r.connections} connections; bcrypt cost {r.rounds}: one check {r.check_seconds * 1000:.1f} ms, "
        f"ceiling {r.ceiling:.1f} checks/s (cores ÷ one check, measured right before the verify).", "",
        "| figure | req/s | ratio | p50 ms | p95 ms | p99 ms | non-2xx |", "|---|---|---|---|---|---|---|",
    ]
    base = {"session GET": "healthz", "sessions list": "healthz", "send sandbox": "healthz",
            "send live": "peer register" if "peer register" in f else "healthz", "verify": None,
            "resend": "send live", "peer verify": None, "healthz (again)": "healthz"}
    for key, fig in f.items():
        ref = base.get(key)
        if key == "verify":
            ratio = f"{_ratio(fig.rps, r.ceiling):.2f}× bcrypt ceiling"
        elif key == "peer verify":
            ratio = f"ours {_ratio(f['verify'].rps, fig.rps):.2f}× this"
        elif ref and ref in f:
            ratio = f"{_ratio(fig.rps, f[ref].rps):.2f}× {ref}"
        else:
            ratio = "baseline"
        lines.append(f"| {fig.name} | {fig.rps:.1f} | {ratio} | {fig.p50_ms:.1f} | {fig.p95_ms:.1f} | "
                     f"{fig.p99_ms:.1f} | {fig.non_2xx} |")
    if r.cpu:
        lines += ["", "Where the machine's CPU went, per request (ms of core time from /proc: the server's processes — "
                      "ours or the peer's gunicorn —, every PostgreSQL process, and the rest of the machine: wrk, "
                      "Redis, this bench), and how many of the "
                      f"{os.cpu_count()} cores were busy:", "",
                  "| figure | server | PostgreSQL | rest | total | cores busy |", "|---|---|---|---|---|---|"]
        for fig in f.values():
            c = r.cpu.get(fig.name)
            if c:
                lines.append(f"| {fig.name} | {c['server']:.2f} | {c['postgres']:.2f} | {c['other']:.2f} | "
                             f"{c['server'] + c['postgres'] + c['other']:.2f} | {c['busy']:.2f} |")
    if r.drain:
        d = r.drain
        steady = d.get("steady_rate", 0.0)
        lines += ["", f"Worker drain (one Celery worker, concurrency 4, web idle): {d['deliveries']} deliveries in "
                      f"{d['seconds']:.1f} s = {d['rate']:.1f}/s from the first, **{steady:.1f}/s** steady (after the "
                      f"first {WARM_DELIVERIES}, the pool's warm-up), {_ratio(d['rate'], r.ceiling_drain):.2f}× and "
                      f"{_ratio(steady, r.ceiling_drain):.2f}× the bcrypt ceiling of {r.ceiling_drain:.1f}/s measured "
                      "right before"
                      + ("" if d["complete"] else " (did not finish in time)") + "."
                      + (f" The worker's processes used {d['cpu_per_delivery'] * 1000:.0f} ms of CPU per delivery "
                         f"(one hash: {(r.check_seconds_drain or r.check_seconds) * 1000:.0f} ms), PostgreSQL "
                         f"{d.get('postgres_per_delivery', 0) * 1000:.1f} ms, the whole machine "
                         f"{d.get('machine_per_delivery', 0) * 1000:.0f} ms." if d.get("cpu_per_delivery") else "")]
    if r.scale:
        levels = list(r.scale)
        first = r.scale[levels[0]]
        lines += ["", "Scale: one account holding N sessions (seeded with generate_series); rate, and time per "
                      f"request as a ratio to {levels[0]}:", "",
                  "| sessions | list req/s | list time ratio | verify req/s | verify time ratio | send req/s | send time ratio |",
                  "|---|---|---|---|---|---|---|"]
        for level, row in r.scale.items():
            lines.append(f"| {row['sessions']:,} ({level}) | " + " | ".join(
                f"{row[name].rps:.1f} | {_ratio(first[name].rps, row[name].rps):.2f}×" for name in ("list", "verify", "send")
            ) + " |")
        if all(row.get("cpu") for row in r.scale.values()):
            lines += ["", "CPU per request at each level (ms of core time: server + PostgreSQL + rest), and cores busy:", "",
                      "| sessions | list | verify | send |", "|---|---|---|---|"]
            for level, row in r.scale.items():
                cells = []
                for name in ("list", "verify", "send"):
                    c = row["cpu"][f"[{level}] {name}"]
                    cells.append(f"{c['server']:.1f} + {c['postgres']:.1f} + {c['other']:.1f} ({c['busy']:.2f} busy)")
                lines.append(f"| {level} | " + " | ".join(cells) + " |")
    lines += ["", "Targets (each a ratio of figures of this run):", "", "| target | ratio | |", "|---|---|---|"]
    lines += [f"| {name} | {ratio:.2f}× | {verdict} |" for name, ratio, verdict in _targets(r)]
    if r.memory:
        lines += ["", "Memory (RSS, MiB) after the load: " + ", ".join(
            f"{name} {mib:.0f}" for name, mib in {**r.memory, **r.drain.get("memory", {})}.items()) + "."]
    if r.peer_version:
        lines += ["", f"Peer: django-phone-verify {r.peer_version} from PyPI in a throw-away venv, gunicorn {r.workers} "
                      "workers as ours, same PostgreSQL server, persistent connections as ours (no health check: "
                      "ours checks at most every 5 s, an interval Django's own backend lacks)."]
    return "\n".join(lines) + "\n"


def append(text: str) -> None:
    with DOC.open("a") as out:
        out.write("\n" + text)
    print(f"bench: appended to {DOC}")
