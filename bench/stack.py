"""The service on its production topology, measured side by side with its own baselines and a peer.

    make bench-stack                       # about 5 minutes: every figure for 10 s
    BENCH_ARGS="--scale" make bench-stack  # adds 1k / 100k / 1M sessions (several more minutes)
    .venv/bin/python bench/stack.py --seconds 30 --record   # longer; appends to docs/benchmarks.md

Starts gunicorn (2 workers) and, for the drain, one Celery worker, with production settings and
throw-away secrets, on a database of its own (otp_bench_<pid>) and Redis db 2; drives them with wrk
from another process; prints every figure with its ratio to the baseline measured next to it.
See docs/benchmarks.md for what each figure means.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import load, measure, report, seed  # noqa: E402
from bench.peer import Peer  # noqa: E402
from bench.topology import Topology, cpu_by_pid, cpu_since, machine_busy_seconds, postgres_pids  # noqa: E402

LIST_QUERY = "/api/v1/otp/sessions?status=PENDING&channel=email&limit=20"
# At scale, a filter most of the history matches: the page's count is what grows with it.
SCALE_LIST_QUERY = "/api/v1/otp/sessions?channel=email&limit=20"
LEVELS = {"1k": 1_000, "100k": 100_000, "1M": 1_000_000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10, help="duration of each figure (default 10)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument("--rounds", type=int, default=int(os.environ.get("OTP_BCRYPT_ROUNDS", "10")))
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, ours and the peer's (default 2)")
    parser.add_argument("--pair-rounds", type=int, default=5,
                        help="alternating rounds of the figures a target compares (default 5)")
    parser.add_argument("--no-peer", action="store_true", help="skip django-phone-verify")
    parser.add_argument("--scale", nargs="?", const="1k,100k,1M", default="", help="levels, e.g. 1k,100k,1M")
    parser.add_argument("--record", action="store_true", help="append the results to docs/benchmarks.md")
    args = parser.parse_args()
    # TERM, and INT even when started in the background (which ignores it), stop the run through
    # the finally below, so no server, database or queue is left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGINT, signal.default_int_handler)

    name = f"otp_bench_{os.getpid()}"
    topology = Topology(name=name, extra_env={"OTP_BCRYPT_ROUNDS": str(args.rounds)})
    peer = None if args.no_peer else Peer(database=f"{name}_peer")
    work = Path(tempfile.mkdtemp(prefix="otp-bench-files-"))
    results = report.Results(command=" ".join(["bench/stack.py", *sys.argv[1:]]), seconds=args.seconds,
                             connections=args.connections, rounds=args.rounds,
                             workers=args.workers)
    try:
        topology.create()
        if peer is not None:
            results.peer_version = peer.install()
            peer.start(workers=args.workers)
        topology.start_web(workers=args.workers)
        _run(topology, peer, results, args, work)
    finally:
        topology.close()
        if peer is not None:
            peer.close()
    text = report.render(results)
    print(text)
    if args.record:
        report.append(text)


def _measure(name: str, url: str, script: str, *, seconds: float, connections: int, server=None, **env):
    """One wrk run; the figure and the CPU seconds used meanwhile: (server, PostgreSQL, machine, wall)."""
    pids = server() if server else []
    before = cpu_by_pid(pids), cpu_by_pid(postgres_pids()), machine_busy_seconds()
    started = time.monotonic()
    figure = load.run(name, url=url, script=script, seconds=seconds, connections=connections, **env)
    # Backends connected during the run count from their start; one that exited is in "rest" (the
    # drain's psql polls are short-lived backends too).
    # The server's pids listed again: a worker gunicorn respawned meanwhile counts from its start.
    pids = sorted({*pids, *(server() if server else [])})
    used = (cpu_since(before[0], pids), cpu_since(before[1], postgres_pids()), machine_busy_seconds() - before[2],
            time.monotonic() - started)
    return figure, used


def _keep(name: str, figure: load.Figure, used: tuple, cpu: dict | None) -> load.Figure:
    if cpu is not None and figure.requests:
        per = 1000 / figure.requests
        cpu[name] = {"server": used[0] * per, "postgres": used[1] * per, "other": (used[2] - used[0] - used[1]) * per,
                     "busy": used[2] / used[3]}
    print(f"  {name}: {figure.rps:.1f}/s p50 {figure.p50_ms:.1f} ms, p99 {figure.p99_ms:.1f} ms"
          + (f" ({figure.non_2xx} non-2xx, first {figure.first_non_2xx})" if figure.non_2xx else ""), flush=True)
    return figure


def _fig(name: str, url: str, script: str, args, *, server=None, cpu: dict | None = None, **env) -> load.Figure:
    """One wrk figure; with `server` (its pids) and `cpu`, also where the machine's CPU went per request."""
    figure, used = _measure(name, url, script, seconds=args.seconds, connections=args.connections, server=server, **env)
    return _keep(name, figure, used, cpu)


def _pair(args, first: tuple[str, str, str, dict], second: tuple[str, str, str, dict]) -> tuple[load.Figure, load.Figure]:
    """Two figures whose ratio is a target, measured in alternating rounds (args.pair_rounds of
    args.seconds ÷ rounds each), so a machine that speeds up or slows down mid-run moves both alike.
    Each is given as (name, url, script, options of _fig)."""
    rounds = max(1, args.pair_rounds)
    runs: dict[str, list] = {first[0]: [], second[0]: []}
    for n in range(rounds):
        for name, url, script, options in (first, second):
            env = {key: value for key, value in options.items() if key != "cpu"}
            if "tag" in env:  # new recipients every round: a send's recipients must not repeat
                env["tag"] = f"{env['tag']}r{n}"
            env["round"] = n
            runs[name].append(_measure(name, url, script, seconds=args.seconds / rounds,
                                       connections=args.connections, **env))
    merged = []
    for name, _url, _script, options in (first, second):
        figure = load.merged(name, [run[0] for run in runs[name]])
        used = tuple(sum(run[1][n] for run in runs[name]) for n in range(4))
        merged.append(_keep(name, figure, used, options.get("cpu")))
    return merged[0], merged[1]


def _pool(topology, account, *, count, work, name, with_codes, rounds) -> Path:
    return seed.live_sessions(topology=topology, account_id=account["account_id"], count=count,
                              path=work / f"{name}.txt", with_codes=with_codes, rounds=rounds, tag=name)


def _run(topology: Topology, peer: Peer | None, results: report.Results, args, work: Path) -> None:
    url, fig = topology.url, results.figures
    ours = {"server": lambda: topology.pids("web"), "cpu": results.cpu}
    theirs = {"server": peer.pids, "cpu": results.cpu} if peer is not None else {}
    account = seed.account_create(topology, name="bench")
    live, test = account["api_key"], account["test_api_key"]
    seed.history_add(database=topology.database, account_id=account["account_id"], count=1000)
    one = _pool(topology, account, count=1, work=work, name="one", with_codes=False, rounds=args.rounds)
    session_id = seed.session_ids(one)[0]
    print(f"bench: {url}, database {topology.database}; {args.seconds:g} s per figure", flush=True)
    load.run("warm-up", url=url, script="get.lua", seconds=2, connections=args.connections, path="/healthz")

    fig["healthz"], fig["session GET"] = _pair(
        args, ("healthz", url, "get.lua", {"path": "/healthz", **ours}),
        ("session GET", url, "get.lua", {"path": f"/api/v1/otp/sessions/{session_id}", "key": live, **ours}),
    )
    fig["sessions list"] = _fig("sessions list (status, channel, 20 a page)", url, "get.lua", args,
                                path=LIST_QUERY, key=live, **ours)
    fig["send sandbox"] = _fig("send sandbox (1 code hashed in the request)", url, "send.lua", args, key=test,
                               tag=f"sb{os.getpid()}", **ours)
    send_live = ("send live (web alone)", url, "send.lua", {"key": live, "tag": f"lv{os.getpid()}", **ours})
    if peer is not None:
        fig["send live"], fig["peer register"] = _pair(
            args, send_live, ("django-phone-verify register", peer.url, "peer.lua", theirs))
    else:
        fig["send live"] = _fig(send_live[0], url, "send.lua", args, **send_live[3])
    # Verify and resend consume sessions: pools large enough not to wrap in the measured seconds.
    results.ceiling, results.check_seconds = measure.bcrypt_ceiling(rounds=args.rounds)
    verify_count = int(results.ceiling * args.seconds * 1.5) + 100
    verify_file = _pool(topology, account, count=verify_count, work=work, name="verify", with_codes=True,
                        rounds=args.rounds)
    results.ceiling, results.check_seconds = measure.bcrypt_ceiling(rounds=args.rounds)  # right before
    fig["verify"] = _fig("verify (1 code, right)", url, "tokens.lua", args, key=live, path="/api/v1/otp/verify",
                         file=verify_file, **ours)
    if peer is not None:
        peer_file = peer.verify_pool(count=int(600 * args.seconds), path=work / "peer-verify.txt")
        fig["peer verify"] = _fig("django-phone-verify verify", peer.url, "peer.lua", args, file=peer_file, **theirs)
    resend_file = _pool(topology, account, count=int(400 * args.seconds), work=work, name="resend",
                        with_codes=False, rounds=args.rounds)
    fig["resend"] = _fig("resend live", url, "tokens.lua", args, key=live, path="/api/v1/otp/resend",
                         file=resend_file, **ours)
    fig["healthz (again)"] = _fig("healthz (again)", url, "get.lua", args, path="/healthz", **ours)
    results.memory = {**topology.memory(), **(peer.memory() if peer else {})}

    results.ceiling_drain, results.check_seconds_drain = measure.bcrypt_ceiling(rounds=args.rounds)
    drain_count = max(50, int(results.ceiling_drain * args.seconds * 1.5))
    print(f"bench: drain of {drain_count} queued live sends by one worker …", flush=True)
    results.drain = measure.drain_rate(topology=topology, live_key=live, count=drain_count)
    print(f"  drain: {results.drain['rate']:.1f}/s, steady {results.drain['steady_rate']:.1f}/s, against a ceiling of "
          f"{results.ceiling_drain:.1f}/s", flush=True)

    if args.scale:
        _scale(topology, results, args, work, [level.strip() for level in args.scale.split(",")])


def _scale(topology: Topology, results: report.Results, args, work: Path, levels: list[str]) -> None:
    """Send, verify and list for one account holding each level's number of sessions."""
    url = topology.url
    account = seed.account_create(topology, name="scale")
    held = 0
    for level in levels:
        target = LEVELS[level] if level in LEVELS else int(level)
        seconds = seed.history_add(database=topology.database, account_id=account["account_id"], count=target - held)
        held = max(held, target)
        print(f"bench: scale {level}: {target} sessions seeded ({seconds:.0f} s)", flush=True)
        ceiling, _ = measure.bcrypt_ceiling(rounds=args.rounds)
        pool = _pool(topology, account, count=int(ceiling * args.seconds * 1.5) + 100, work=work,
                     name=f"scale-verify-{level}", with_codes=True, rounds=args.rounds)
        row = {"sessions": topology_count(topology, account), "cpu": {}}
        ours = {"server": lambda: topology.pids("web"), "cpu": row["cpu"]}
        time.sleep(1)
        row["list"] = _fig(f"[{level}] list", url, "get.lua", args, path=SCALE_LIST_QUERY, key=account["api_key"], **ours)
        row["verify"] = _fig(f"[{level}] verify", url, "tokens.lua", args, key=account["api_key"],
                             path="/api/v1/otp/verify", file=pool, **ours)
        row["send"] = _fig(f"[{level}] send", url, "send.lua", args, key=account["api_key"],
                           tag=f"sc{level}{os.getpid()}", **ours)
        results.scale[level] = row


def topology_count(topology: Topology, account: dict) -> int:
    from bench.topology import psql

    query = f"SELECT count(*) FROM otp_otpsession WHERE account_id = '{account['account_id']}'"  # noqa: S608
    return int(psql(query,
                    database=topology.database))


if __name__ == "__main__":
    main()
