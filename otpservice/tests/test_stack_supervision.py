"""scripts/stack.sh supervises its processes: a killed worker is started again while gunicorn keeps
serving, and TERM stops every process it started."""
from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from otp.tests.private_redis import free_port
from otp.tests.worker_support import ROOT, database_url_for_worker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

START_TIMEOUT = 40
STOP_TIMEOUT = 30


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def descendants(pid: int) -> dict[int, str]:
    """Every live process below pid, with its command line."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[0] == "Z":
                continue
            command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        parents[int(stat.parent.name)], commands[int(stat.parent.name)] = int(fields[1]), command
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found[child] = commands[child]
                frontier.append(child)
    return found


def group_members(pgid: int) -> list[int]:
    """Live processes in a process group (the stack's: everything it started stays in it)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


def worker_main_pids(stack_pid: int) -> list[int]:
    """The `celery worker` main processes: the ones whose parent is not a celery worker too."""
    procs = descendants(stack_pid)
    workers = {pid for pid, command in procs.items() if " worker " in command and "celery" in command}
    return [pid for pid in workers if Path(f"/proc/{pid}/stat").exists()
            and int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) not in workers]


@pytest.fixture
def stack(request, redis_url, tmp_path):
    """The stack of `make stack`; `@pytest.mark.parametrize("stack", [{ENV: value}], indirect=True)` adds to its environment."""
    port = free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(ROOT)),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "otpservice.settings.production",
        "SECRET_KEY": "stack-test-secret-key-0123456789abcdef0123456789",
        "OTP_PEPPER": "stack-test-pepper-0123456789abcdef0123456789",
        "OTP_TOKEN_SECRET": "stack-test-token-secret-0123456789abcdef01234",
        "OTP_DELIVERY": "outbox",
        "DATABASE_URL": database_url_for_worker(),
        "REDIS_URL": redis_url,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "WORKER_CONCURRENCY": "1",
        "BEAT_SCHEDULE": str(tmp_path / "beat-schedule"),
        "TMPDIR": str(tmp_path),
        **getattr(request, "param", {}),
    }
    log = tmp_path / "stack.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "stack.sh")], cwd=ROOT, env=env, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
    process.log = log
    process.url = f"http://127.0.0.1:{port}"
    try:
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        try:
            os.killpg(process.pid, signal.SIGKILL)  # anything left in its process group
        except ProcessLookupError:
            pass


@pytest.mark.parametrize("stop", ["TERM to the script", "Ctrl-C (INT to its process group)"])
def test_a_killed_worker_is_restarted_while_gunicorn_keeps_serving_and_term_stops_everything(stack, stop):
    def output() -> str:
        return stack.log.read_text(errors="replace")

    wait_for(lambda: status_of(f"{stack.url}/healthz") == 200, timeout=START_TIMEOUT, what="gunicorn", logs=output)
    wait_for(lambda: output().count(" ready.") == 1, timeout=START_TIMEOUT, what="the worker", logs=output)
    (first,) = worker_main_pids(stack.pid)

    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + START_TIMEOUT
    while output().count(" ready.") < 2:  # gunicorn answers all the while the worker is down
        assert time.monotonic() < deadline, f"the worker was not restarted\n{output()}"
        assert status_of(f"{stack.url}/healthz") == 200, output()
        time.sleep(0.2)
    assert "stack: worker exited with status 137; restarting in 1s" in output()
    (second,) = worker_main_pids(stack.pid)
    assert second != first
    assert status_of(f"{stack.url}/readyz") == 200, output()

    if stop.startswith("TERM"):
        stack.send_signal(signal.SIGTERM)
    else:
        os.killpg(stack.pid, signal.SIGINT)
    stack.wait(timeout=STOP_TIMEOUT)
    wait_for(lambda: not group_members(stack.pid), timeout=STOP_TIMEOUT, what="every process to stop", logs=output)
    assert output().count("restarting in") == 1  # TERM stopped the processes; nothing was restarted


METRICS_TOKEN = "stack-test-metrics-token"


def scrape_sends(url: str) -> float:
    request = urllib.request.Request(f"{url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        lines = response.read().decode().splitlines()
    return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith("otp_sends_total{"))


@pytest.mark.parametrize("stack", [{"WEB_CONCURRENCY": "2", "OTP_METRICS_TOKEN": METRICS_TOKEN}], indirect=True)
def test_metrics_add_up_every_gunicorn_worker_of_the_stack(stack, account_keys):
    def output() -> str:
        return stack.log.read_text(errors="replace")

    wait_for(lambda: status_of(f"{stack.url}/healthz") == 200, timeout=START_TIMEOUT, what="gunicorn", logs=output)
    body = b'{"channels": ["email", "sms"], "recipients": {"email": "ada@example.com", "sms": "+14155552671"}}'
    for _ in range(6):  # new connections, so both gunicorn workers answer some
        request = urllib.request.Request(
            f"{stack.url}/api/v1/otp/send", data=body, method="POST",
            headers={"X-API-Key": account_keys.test_key, "Content-Type": "application/json", "Connection": "close"},
        )
        with urllib.request.urlopen(request, timeout=20) as response:
            assert response.status == 200
    # Whichever worker answers the scrape, it reports the stack's total: 6 sends of 2 codes.
    assert [scrape_sends(stack.url) for _ in range(6)] == [12.0] * 6, output()
