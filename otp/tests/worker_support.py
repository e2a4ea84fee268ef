"""Real Celery worker processes for end-to-end tests: environment, start, readiness, kill, broker peeking."""
from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.db import connection
from kombu import pools

from otp.queues import ALL_QUEUES
from otp.tasks import deliver_code
from otpservice.celery import app

from .delivery_support import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SENDGRID_API_KEY,
    SENDGRID_FROM,
    SMS_FROM,
    WHATSAPP_FROM,
)
from .fakes import FakeSendGrid, FakeTwilio

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
QUEUES = ALL_QUEUES  # what a worker started without -Q consumes
# Short enough that a message abandoned by a killed worker comes back within the test; the claim
# lease must be shorter still, or the redelivered task would find the dead worker's claim fresh.
VISIBILITY_TIMEOUT = 4
LEASE_SECONDS = 2
PUBLIC_BASE_URL = "http://testserver"
READY_TIMEOUT = 30


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str, logs: Callable[[], str] = str) -> object:
    """Poll until predicate() is truthy; fail (never skip) with the workers' output on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}\n--- worker output ---\n{logs()}")


def database_url_for_worker() -> str:
    """The pytest test database (test_<name>), as a URL the worker's django-environ understands."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(*, redis_url: str, twilio: FakeTwilio, sendgrid: FakeSendGrid) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", str(ROOT)),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "otpservice.settings.test",
        "DATABASE_URL": database_url_for_worker(),
        "REDIS_URL": redis_url,
        "OTP_DELIVERY": "live",
        "TWILIO_API_BASE_URL": twilio.url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "SENDGRID_API_BASE_URL": sendgrid.url,
        "SENDGRID_API_KEY": SENDGRID_API_KEY,
        "SENDGRID_FROM_EMAIL": SENDGRID_FROM,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "PROVIDER_TIMEOUT_SECONDS": "10",
        "OTP_DELIVERY_RETRY_BASE_SECONDS": "0.2",
        "OTP_DELIVERY_RETRY_MAX_SECONDS": "0.5",
        "OTP_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }


class Worker:
    """One `celery -A otpservice worker` in its own process group, output to a log file.

    No -Q, as in production: the worker consumes every queue in CELERY_TASK_QUEUES."""

    def __init__(self, *, env: dict[str, str], log: Path, concurrency: int = 1) -> None:
        self.log = log
        self.name = f"e2e-{uuid.uuid4().hex[:8]}@%h"
        command = [
            str(CELERY), "-A", "otpservice", "worker", "--pool=prefork", "-c", str(concurrency),
            "--prefetch-multiplier=1", "-l", "INFO", "-n", self.name,
            # Nothing to gossip with; skipping these only makes start-up faster.
            "--without-mingle", "--without-gossip", "--without-heartbeat",
        ]
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> Worker:
        def ready() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"worker exited with {self.process.returncode}\n{self.output()}")
            return " ready." in self.output()

        wait_for(ready, timeout=timeout, what="the worker to be ready", logs=self.output)
        return self

    def pool_children(self) -> list[int]:
        """Pids of the prefork pool's processes (children of the main worker process)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def kill(self) -> None:
        """SIGKILL the whole process group (main process and pool children): no cleanup, no acks."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(timeout=10)
        try:  # children orphaned by the main process may still be dying
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Workers:
    """Starts workers for a test and kills every one of them at teardown, whatever happened."""

    def __init__(self, *, env: dict[str, str], tmp_path: Path) -> None:
        self.env = env
        self.tmp_path = tmp_path
        self.started: list[Worker] = []

    def start(self, *, ready: bool = True, concurrency: int = 1) -> Worker:
        log = self.tmp_path / f"worker-{len(self.started)}.log"
        worker = Worker(env=self.env, log=log, concurrency=concurrency)
        self.started.append(worker)
        return worker.wait_ready() if ready else worker

    def output(self) -> str:
        return "\n".join(f"--- {worker.log.name} ---\n{worker.output()}" for worker in self.started)

    def kill_all(self) -> None:
        for worker in self.started:
            worker.kill()


def workers_fixture(*, redis_url: str, twilio: FakeTwilio, sendgrid: FakeSendGrid, tmp_path: Path) -> Iterator[Workers]:
    workers = Workers(env=worker_env(redis_url=redis_url, twilio=twilio, sendgrid=sendgrid), tmp_path=tmp_path)
    try:
        yield workers
    finally:
        workers.kill_all()


def point_celery_at(app, **conf) -> dict:
    """Reconfigure the test process's Celery app; returns the previous values for restoring."""
    previous = {key: app.conf[key] for key in conf}
    # kombu keeps its connection and producer pools in global registries keyed by connection:
    # close and forget them all, or a later publish would reuse a pool bound to the old broker.
    pools.reset()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
    app.conf.update(conf)
    return previous


def queued_messages(redis_client, queue: str) -> list[dict]:
    """The kombu envelopes waiting in a Redis queue, with the task body decoded."""
    messages = []
    for raw in redis_client.lrange(queue, 0, -1):
        envelope = json.loads(raw)
        envelope["decoded_body"] = json.loads(base64.b64decode(envelope["body"]))
        envelope["raw"] = raw.decode()
        messages.append(envelope)
    return messages


@contextmanager
def celery_published_to(redis_url: str) -> Iterator[redis.Redis]:
    """This process publishes to that Redis (its settings, read at import, said eager) for the
    block, and a client of that Redis to peek at it; the Celery app is restored afterwards."""

    previous = point_celery_at(
        app,
        broker_url=redis_url,
        task_always_eager=False,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
    )
    assert deliver_code.app is app  # enqueue_delivery publishes through the app reconfigured here
    client = redis.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()
        point_celery_at(app, **previous)
