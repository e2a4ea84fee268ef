"""A PostgreSQL cluster of a test's own, on a free port, that the test may stop and start at will.

Fault tests stop this one, never the shared server. The tests run as root and PostgreSQL refuses
to, so the cluster belongs to the `postgres` OS user; its directory is a fresh temporary one.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Self


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


class PrivatePostgres:
    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="otp-private-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=60)

    def create(self) -> Self:
        shutil.chown(self.root, user="postgres") if os.geteuid() == 0 else None
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        return self

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        self._wait(ready=True)

    def stop(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)
        self._wait(ready=False)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _wait(self, *, ready: bool, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                up = True
            except OSError:
                up = False
            if up == ready:
                return
            time.sleep(0.1)
        raise RuntimeError(f"private PostgreSQL did not become {'ready' if ready else 'stopped'}: {self.log}")

    def __enter__(self) -> Self:
        self.create().start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.destroy()
