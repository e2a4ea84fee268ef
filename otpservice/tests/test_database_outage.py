"""A database outage is a 503 with Retry-After on every endpoint, and the API recovers by itself.

gunicorn serves a PostgreSQL cluster of this test's own, which the test stops and starts again,
with a connection per request (the settings' default) and with persistent, health-checked ones.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests
from django.db import OperationalError, transaction

from accounts.models import Account
from otp.tests.fakes import twilio_signature
from otpservice.errors import error_for

from .private_postgres import PrivatePostgres

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
AUTH_TOKEN = "outage-test-auth-token"
TWILIO_STATUS = "/api/v1/webhooks/twilio/status"


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


# Query options django-environ turns into CONN_MAX_AGE / CONN_HEALTH_CHECKS.
CONNECTION_MODES = {"per-request": "", "persistent": "?conn_max_age=60&conn_health_checks=True"}


@pytest.fixture(params=list(CONNECTION_MODES))
def stack(request, tmp_path):
    """(private PostgreSQL, base URL of gunicorn on it, live key, test key, gunicorn log, mode)."""
    with PrivatePostgres() as database:
        port = _free_port()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": os.environ.get("HOME", str(ROOT)),
            "DJANGO_SETTINGS_MODULE": "otpservice.settings.test",
            "DATABASE_URL": database.url + CONNECTION_MODES[request.param],
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        }
        manage = [str(BIN / "python"), "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
        created = subprocess.run(
            [*manage, "create_account", "Outage", "--balance", "10"], cwd=ROOT, env=env, check=True,
            capture_output=True, text=True,
        )
        keys = json.loads(created.stdout.strip().splitlines()[-1])
        log = tmp_path / "gunicorn.log"
        with open(log, "wb") as out:
            server = subprocess.Popen(
                [str(BIN / "gunicorn"), "otpservice.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1",
                 "--threads", "4"],
                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for_http(f"{base}/healthz", server, log)
            yield database, base, keys["api_key"], keys["test_api_key"], log, request.param
        finally:
            server.terminate()
            server.wait(timeout=15)


def _wait_for_http(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.returncode}\n{log.read_text()}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # a first answer may be slow on a loaded machine
            pass
        time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer\n{log.read_text()}")


def _calls(base: str, live: str, test: str, sent: dict) -> dict[str, requests.Response]:
    api = f"{base}/api/v1"
    as_test, as_live = {"X-API-Key": test}, {"X-API-Key": live}
    form = {"MessageSid": "SM0123456789abcdef0123456789abcdef", "MessageStatus": "delivered"}
    signature = twilio_signature(auth_token=AUTH_TOKEN, url=f"{base}{TWILIO_STATUS}", params=form)
    body = {"channels": ["email"], "recipients": {"email": "ada@example.com"}}
    token = {"session_token": sent["session_token"]}
    return {
        "send": requests.post(f"{api}/otp/send", json=body, headers=as_test, timeout=10),
        "verify": requests.post(f"{api}/otp/verify", json={**token, "otps": {"email": "123456"}}, headers=as_test, timeout=10),
        "resend": requests.post(f"{api}/otp/resend", json=token, headers=as_test, timeout=10),
        "list": requests.get(f"{api}/otp/sessions", headers=as_test, timeout=10),
        "detail": requests.get(f"{api}/otp/sessions/{sent['session_id']}", headers=as_test, timeout=10),
        "cancel": requests.post(f"{api}/otp/sessions/{sent['session_id']}/cancel", headers=as_test, timeout=10),
        "wallet": requests.get(f"{api}/wallet", headers=as_live, timeout=10),
        "transactions": requests.get(f"{api}/wallet/transactions", headers=as_live, timeout=10),
        "contacts": requests.get(f"{api}/contacts", headers=as_live, timeout=10),
        "twilio webhook": requests.post(
            f"{base}{TWILIO_STATUS}", data=urlencode(form), timeout=10,
            headers={"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
        ),
    }


def test_every_endpoint_answers_503_while_the_database_is_down_and_recovers_by_itself(stack):
    database, base, live, test, log, mode = stack
    body = {"channels": ["email"], "recipients": {"email": "ada@example.com"}}
    sent = requests.post(f"{base}/api/v1/otp/send", json=body, headers={"X-API-Key": test}, timeout=10).json()
    assert sent["success"] is True

    database.stop()
    for name, response in _calls(base, live, test, sent).items():
        assert response.status_code == 503, (name, response.status_code, response.text[:300])
        assert response.headers["Content-Type"].startswith("application/json"), name
        error = response.json()["error"]
        assert (error["code"], error["type"]) == ("service_unavailable", "server_error"), name
        assert response.json()["code"] == "service_unavailable"
        assert int(response.headers["Retry-After"]) >= 1, name
        assert "Traceback" not in response.text
    ready = requests.get(f"{base}/readyz", timeout=10)
    assert ready.status_code == 503
    assert ready.json()["checks"]["database"].startswith("error")
    assert "Traceback" not in log.read_text()

    database.start()
    # No restart of the server: the next requests reconnect.
    answers = _calls(base, live, test, sent)
    assert answers["send"].status_code == 200
    assert answers["list"].status_code == 200
    assert answers["wallet"].status_code == 200
    assert answers["twilio webhook"].status_code == 200
    assert requests.get(f"{base}/readyz", timeout=10).json()["checks"]["database"] == "ok"

    if mode == "persistent":
        # Connections kept from before a restart are dead; the health check replaces them before
        # use, so even the first request after an outage nobody saw succeeds.
        database.stop()
        database.start()
        for _ in range(8):  # reach every gunicorn thread's kept connection
            assert requests.get(f"{base}/api/v1/wallet", headers={"X-API-Key": live}, timeout=10).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_deadlock_is_a_503_to_retry_at_once_and_logged_as_a_lock_order_fault(caplog):
    """A real deadlock on the test database: the transaction PostgreSQL aborts answers 503 with
    Retry-After 1 (retrying may pass), and is logged as an error with its traceback."""
    first, second = Account.objects.create(name="First").pk, Account.objects.create(name="Second").pk
    both_locked = threading.Barrier(2, timeout=10)
    aborted: list[OperationalError] = []

    def lock(one: int, other: int) -> None:
        from django.db import connection

        try:
            with transaction.atomic():
                Account.objects.select_for_update().get(pk=one)
                both_locked.wait()
                Account.objects.select_for_update().get(pk=other)
        except OperationalError as exc:
            aborted.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=lock, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(aborted) == 1, aborted
    error = error_for(aborted[0], None)
    assert (error.status_code, error.code, error.type) == (503, "service_unavailable", "server_error")
    assert error.retry_after == 1
    assert error.details == {"dependency": "database", "reason": "transaction_aborted"}
    assert any(record.levelname == "ERROR" and record.exc_info for record in caplog.records)
