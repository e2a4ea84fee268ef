"""A private `redis-server` of a test's own (never the shared one): start, stop, restart on one port."""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

REDIS_SERVER = shutil.which("redis-server")
START_TIMEOUT = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server on a free port with its files in a test's directory (no periodic saves, no
    AOF); restart() comes back on the same port, so clients holding the URL reconnect to it."""

    def __init__(self, directory: Path) -> None:
        if REDIS_SERVER is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> PrivateRedis:
        assert self.process is None, "already running"
        self.starts += 1
        log = open(self.directory / f"redis-{self.starts}.log", "wb")  # noqa: SIM115 (lives with the process)
        self.process = subprocess.Popen(
            [
                REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.directory), "--protected-mode", "no",
            ],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        try:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    pytest.fail(f"redis-server exited with {self.process.returncode}")
                try:
                    if client.ping():
                        return
                except redis.RedisError:
                    time.sleep(0.05)
        finally:
            client.close()
        pytest.fail(f"redis-server on port {self.port} did not answer within {START_TIMEOUT}s")

    def stop(self) -> None:
        """Shut down as a restarted Redis does: every client connection drops at once, and the data
        is written to dump.rdb (no periodic saves, but SHUTDOWN SAVE forces one) so the queues and
        the unacknowledged messages are still there when it comes back."""
        if self.process is None:
            return
        client = redis.Redis(port=self.port, socket_timeout=5)
        try:
            client.shutdown(save=True)
        except redis.ConnectionError:
            pass  # the server closes the connection as it exits: that is the answer
        finally:
            client.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def kill(self) -> None:
        """SIGKILL: a crash, nothing saved (an empty Redis on restart)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self, *, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def __enter__(self) -> PrivateRedis:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.kill()
