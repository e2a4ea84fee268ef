"""A loopback TCP proxy a test can cut: a real network outage between one process and a service.

The worker under test reaches PostgreSQL through it; `cut()` drops every open connection and
refuses new ones (connect succeeds, then the socket closes, as a restarting server or a broken
link does), `restore()` lets connections through again. The shared PostgreSQL itself is never
touched, and the test process keeps its own direct connection.
"""
from __future__ import annotations

import socket
import threading
from typing import Self


class TcpProxy:
    def __init__(self, *, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._down = threading.Event()
        self._stopping = threading.Event()
        self.cuts = 0

    def start(self) -> Self:
        threading.Thread(target=self._accept_loop, daemon=True).start()
        return self

    def cut(self) -> None:
        """Drop every connection through the proxy and refuse new ones until restore()."""
        with self._lock:
            self._down.set()
            self.cuts += 1
            for sock in list(self._open):
                _close(sock)
            self._open.clear()

    def restore(self) -> None:
        self._down.clear()

    def stop(self) -> None:
        self._stopping.set()
        self.cut()
        _close(self._listener)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._down.is_set():
                _close(client)
                continue
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                if self._down.is_set():
                    _close(client)
                    _close(server)
                    continue
                self._open.update((client, server))
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
