"""The production topology of a benchmark run: its own database and Redis db, gunicorn, a Celery worker.

Everything started here is a child of the bench process and is stopped by Topology.close(), which
also drops the database and empties the Redis db.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_SERVER = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "2"))


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


def psql(sql: str, *, database: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", f"{PG_SERVER}/{database}", "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds these processes have used so far (0 for one that is gone)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """CPU seconds each of these processes has used so far (those that are gone are left out)."""
    return {pid: cpu_seconds([pid]) for pid in pids if Path(f"/proc/{pid}").exists()}


def cpu_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU seconds used since `before` by `pids`, counting a process new since then from its start.
    A process that exited in between is left out, its whole time since `before` with it: that time
    is in machine_busy_seconds, so a report puts it under "rest"."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in cpu_by_pid(pids).items())


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy so far (/proc/stat)."""
    # user nice system idle iowait irq softirq steal guest guest_nice: guest time is already in
    # user and nice, and steal is the hypervisor's, not this machine's work.
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in Path("/proc/stat").read_text().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """Every process of the PostgreSQL server on this machine (backends and its own workers)."""
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True, check=False)
    return [int(pid) for pid in out.stdout.split()]


def children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def wait_http(url: str, *, timeout: float = 60, post: bytes | None = None) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            request = urllib.request.Request(url, data=post, headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout} s")
        time.sleep(0.2)


class Topology:
    """A database `otp_bench_<pid>`, Redis db 2, production settings and throw-away secrets."""

    def __init__(self, *, name: str, extra_env: dict[str, str] | None = None):
        self.database = name
        self.tmp = Path(tempfile.mkdtemp(prefix=f"{name}-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")},
            "DJANGO_SETTINGS_MODULE": "otpservice.settings.production",
            "DATABASE_URL": f"{PG_SERVER}/{name}",
            "REDIS_URL": f"{REDIS_SERVER}/{REDIS_DB}",
            "CACHE_KEY_PREFIX": name,
            "SECRET_KEY": secrets.token_hex(32),
            "OTP_PEPPER": secrets.token_hex(32),
            "OTP_TOKEN_SECRET": secrets.token_hex(32),
            "OTP_DELIVERY": "outbox",
            "RATELIMIT_ENABLE": "false",
            # Each resend benchmark request resends a session resent moments ago.
            "OTP_RESEND_COOLDOWN_SECONDS": "0",
            "OTP_MAX_RESENDS": "1000",
            "OTP_DAILY_SPEND_CAP": "100000000",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PROMETHEUS_MULTIPROC_DIR": str(self.tmp / "metrics"),
            **(extra_env or {}),
        }
        (self.tmp / "metrics").mkdir()
        self.processes: dict[str, subprocess.Popen] = {}

    # --- lifecycle -----------------------------------------------------------------------------

    def create(self) -> None:
        psql(f'DROP DATABASE IF EXISTS "{self.database}"')
        psql(f'CREATE DATABASE "{self.database}"')
        self.redis("FLUSHDB")
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput")

    def close(self) -> None:
        for name in list(self.processes):
            self.stop(name)
        try:
            psql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        except subprocess.CalledProcessError as exc:
            print(f"bench: could not drop {self.database}: {exc.stderr}", file=sys.stderr)
        self.redis("FLUSHDB")

    def redis(self, *command: str) -> str:
        host, port = REDIS_SERVER.removeprefix("redis://").split(":")
        out = subprocess.run(
            ["redis-cli", "-h", host, "-p", port, "-n", str(REDIS_DB), *command], check=True, capture_output=True, text=True
        )
        return out.stdout.strip()

    def manage(self, *args: str) -> str:
        out = subprocess.run(
            [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True, text=True
        )
        return out.stdout

    # --- processes -----------------------------------------------------------------------------

    def start_web(self, *, workers: int = 2) -> None:
        # The command of scripts/stack.sh, its access log to a file.
        self._start("web", [
            str(BIN / "gunicorn"), "otpservice.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(workers), "--config", "python:otpservice.gunicorn_conf",
            "--access-logfile", str(self.tmp / "access.log"),
        ])
        wait_http(f"{self.url}/healthz")

    def start_worker(self, *, concurrency: int = 4) -> None:
        self._start("worker", [
            str(BIN / "celery"), "-A", "otpservice", "worker", "--loglevel", "WARNING", "--concurrency",
            str(concurrency), "--prefetch-multiplier", "1", "--without-gossip", "--without-mingle",
        ])

    def _start(self, name: str, command: list[str]) -> None:
        log = open(self.tmp / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        self.processes[name] = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def pids(self, name: str) -> list[int]:
        """The pids of a started process and of its children (gunicorn's or Celery's pool)."""
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return []
        return [process.pid, *children(process.pid)]

    def memory(self) -> dict[str, float]:
        """RSS in MiB of each process: the master and each child of gunicorn and Celery."""
        out = {}
        for name, process in self.processes.items():
            if process.poll() is not None:
                continue
            out[f"{name} master"] = rss_mib(process.pid)
            for n, child in enumerate(children(process.pid), 1):
                out[f"{name} child {n}"] = rss_mib(child)
        return out
