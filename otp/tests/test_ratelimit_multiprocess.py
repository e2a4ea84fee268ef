"""Two separately started gunicorn processes, one PostgreSQL database and one Redis: limits hold in total.

The account's overrides (AbusePolicy) give every limit a window of a few seconds, so the test can
also watch windows end. Windows are fixed and aligned per key (django-ratelimit). A run of requests
that must land in one window starts in a window with plenty left, and the test checks afterwards
that it did not straddle a boundary (a slow machine): if it did, the run is repeated with a fresh
key (another recipient, account or client address) instead of asserting on counts split over two
windows. Resets are awaited for as long as the server announced, never for an assumed time.
"""
import os
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.db import connection
from django_ratelimit.core import _get_window

from accounts.models import AbusePolicy
from conftest import funded_account

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.usefixtures("transactional_db")]

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
STARTUP_SECONDS = 20
PERIOD = 15  # seconds: every limit of the test accounts uses this window
RUN_SECONDS = 8  # a run of requests starts with at least this much of its window left
ATTEMPTS = 3  # runs tried, each with a fresh key, before giving up on fitting one into a window
PROXY = "10.0.0.2"  # what our (pretend) proxy is; REMOTE_ADDR is 127.0.0.1 anyway


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _test_database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"


class Server:
    def __init__(self, port: int, process: subprocess.Popen, log: Path):
        self.url, self.process, self.log = f"http://127.0.0.1:{port}", process, log

    def wait_until_up(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass  # not listening yet, or still importing Django on its first request
            time.sleep(0.1)
        pytest.fail(f"gunicorn at {self.url} did not come up in {STARTUP_SECONDS} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def servers(redis_url, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "otpservice.settings.test",
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": redis_url,
        # Queue deliveries in process memory: nothing consumes them, nothing leaks into Redis.
        "CELERY_BROKER_URL": "memory://",
        "TRUSTED_PROXY_COUNT": "1",
        "PYTHONUNBUFFERED": "1",
    }
    started = []
    try:
        for name in ("a", "b"):
            port = _free_port()
            log = tmp_path / f"gunicorn-{name}.log"
            process = subprocess.Popen(
                [str(GUNICORN), "otpservice.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", "1", "--timeout", "30"],
                cwd=ROOT,
                env=env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            started.append(Server(port, process, log))
        deadline = time.monotonic() + STARTUP_SECONDS
        for server in started:
            server.wait_until_up(deadline)
        yield started
    finally:
        for server in started:
            server.stop()


class Client:
    """Alternates requests between the servers, as a load balancer would."""

    def __init__(self, servers, key: str):
        self.servers, self.key, self.turn = servers, key, 0

    def post(self, path: str, body: dict, client_ip: str = "203.0.113.5", spoofed: str | None = None):
        server = self.servers[self.turn % len(self.servers)]
        self.turn += 1
        # Our one trusted proxy appends the client address to whatever the client sent.
        forwarded = f"{spoofed}, {client_ip}" if spoofed else client_ip
        headers = {"X-API-Key": self.key, "X-Forwarded-For": forwarded}
        return requests.post(f"{server.url}/api/v1{path}", json=body, headers=headers, timeout=30)

    def send(self, sms: str, **kwargs):
        return self.post("/otp/send", {"channels": ["sms"], "recipients": {"sms": sms}}, **kwargs)

    def bad_verify(self):
        return self.post("/otp/verify", {"session_token": "not-a-token", "otps": {"sms": "123456"}})


def _account(**rates):
    created = funded_account("Multiprocess")
    defaults = {"recipient_rate": "1000/h", "ip_rate": "1000/h", "send_rate": "1000/m", "verify_rate": "1000/m"}
    AbusePolicy.objects.create(account=created.account, **{**defaults, **rates})
    return created


def _fresh_window(value: str, needed: float = RUN_SECONDS) -> int:
    """Sleep into a new window of the key `value` unless `needed` seconds are left in this one.

    Mirrors django-ratelimit: the window of a key covers whole seconds up to _get_window() inclusive.
    Returns that window, for _in_one_window.
    """
    left = _get_window(value, PERIOD) + 1 - time.time()
    if left < needed:
        time.sleep(left + 0.05)
    return _get_window(value, PERIOD)


def _in_one_window(run, key_of, subjects):
    """`run(subject)` for the first subject whose requests all fell in one window of `key_of(subject)`.

    A run that straddles a window boundary counted its requests in two windows; its counts say
    nothing, and its key is spent, so the next subject (a fresh key) is tried.
    """
    for subject in subjects[:ATTEMPTS]:
        window = _fresh_window(key_of(subject))
        result = run(subject)
        if _get_window(key_of(subject), PERIOD) == window:
            return subject, result
    pytest.fail(f"no run of requests fitted into one {PERIOD} s window in {ATTEMPTS} tries: the machine is too slow")


def _codes(responses):
    return [(r.status_code, r.json().get("code") if r.status_code != 200 else "ok") for r in responses]


def test_recipient_limit_holds_across_both_processes_and_resets_with_its_window(servers):
    created = _account(recipient_rate=f"4/{PERIOD}s")
    client = Client(servers, created.live_key)

    def run(sms):
        client.turn = 0  # the refused requests are the 5th and 6th: one on each server
        # A different spoofed prefix on every request: it must not matter.
        return [client.send(sms, spoofed=f"192.0.2.{i}, 198.51.100.{i}") for i in range(6)]

    numbers = ["+14155552671", "+14155552672", "+14155552673"]
    sms, responses = _in_one_window(run, lambda sms: f"{created.account.pk}:{sms}", numbers)
    assert _codes(responses) == [(200, "ok")] * 4 + [(429, "rate_limited")] * 2
    assert {r.json()["details"]["limit"] for r in responses[4:]} == {"recipient"}
    # Each process counted part of the total, and both refuse.
    assert {r.url.split("/api")[0] for r in responses[4:]} == {server.url for server in servers}
    retry_after = int(responses[-1].headers["Retry-After"])
    assert 1 <= retry_after <= PERIOD
    time.sleep(retry_after + 0.05)
    assert client.send(sms).status_code == 200


def test_account_limit_holds_across_both_processes_and_the_headers_count_down(servers):
    def run(created):
        client = Client(servers, created.live_key)
        return client, [client.bad_verify() for _ in range(8)]

    accounts = [_account(verify_rate=f"6/{PERIOD}s") for _ in range(ATTEMPTS)]
    _, (client, responses) = _in_one_window(run, lambda created: str(created.account.pk), accounts)
    assert [r.status_code for r in responses] == [400] * 6 + [429] * 2
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["5", "4", "3", "2", "1", "0", "0", "0"]
    assert {r.headers["X-RateLimit-Limit"] for r in responses} == {"6"}
    resets = [int(r.headers["X-RateLimit-Reset"]) for r in responses]
    assert all(1 <= reset <= PERIOD for reset in resets)
    assert resets == sorted(resets, reverse=True)  # one window, counting down
    refused = responses[-1]
    assert refused.json()["details"] | {"retry_after_seconds": 0} == {
        "limit": "account", "scope": "verify", "rate": f"6/{PERIOD}s", "retry_after_seconds": 0
    }
    time.sleep(int(refused.headers["X-RateLimit-Reset"]) + 0.05)
    after = client.bad_verify()
    assert after.status_code == 400
    assert after.headers["X-RateLimit-Remaining"] == "5"


def test_ip_limit_follows_the_proxy_recorded_address_whatever_the_client_prepends(servers):
    from otp.ratelimits.addresses import ip_bucket

    created = _account(ip_rate=f"3/{PERIOD}s")
    client = Client(servers, created.live_key)
    numbers = iter(f"+1415555{n:04d}" for n in range(2671, 2700))

    def run(client_ip):
        honest = [client.send(next(numbers), client_ip=client_ip, spoofed=f"198.51.100.{i}") for i in range(5)]
        # A spoofed header that claims to be the proxy's own entry is still only a prefix.
        return honest + [client.send(next(numbers), client_ip=client_ip, spoofed="203.0.113.99")]

    addresses = ["203.0.113.5", "203.0.113.15", "203.0.113.25"]
    _, responses = _in_one_window(run, lambda address: f"{created.account.pk}:{ip_bucket(address)}", addresses)
    assert _codes(responses) == [(200, "ok")] * 3 + [(429, "rate_limited")] * 3
    assert {r.json()["details"]["scope"] for r in responses[3:]} == {"client_address"}
    # Another end user behind the same proxy (and on the same REMOTE_ADDR) has a budget of its own.
    assert client.send(next(numbers), client_ip="203.0.113.6").status_code == 200
