"""What a request may hold or take, through `komunalka serve` itself over real sockets: bodies
refused before they are read, request heads bounded in size and time, idle connections closed."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.channels.pages import free_port

HEADER_TIMEOUT = 1.0
MB = 1024 * 1024


class Served:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        return sock

    def rss(self) -> int:
        return int(psutil.Process(self.process.pid).memory_info().rss)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`komunalka serve` in its own process, with a one-second head timeout."""
    port = free_port()
    folder = tmp_path_factory.mktemp("served")
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).parents[2] / "src"),
        "KOMUNALKA_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'bounds.db'}",
        "KOMUNALKA_JOBS_IN_PROCESS": "false",
        "KOMUNALKA_SECRET_KEY": "a-test-secret-of-enough-length",
        "KOMUNALKA_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "KOMUNALKA_KEEP_ALIVE_TIMEOUT": "1",
    }
    command = [sys.executable, "-m", "komunalka", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    server = Served(process, port)
    try:
        _wait_until_up(server)
        yield server
    finally:
        process.terminate()
        process.wait(20)


def _wait_until_up(server: Served) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError("komunalka serve exited")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("komunalka serve did not start")


def exchange(sock: socket.socket, data: bytes) -> bytes:
    sock.sendall(data)
    return read_all(sock)


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or 10 s pass)."""
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return answer


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def test_a_100_mb_anonymous_body_to_the_api_is_refused_without_being_read(served) -> None:
    before = served.rss()
    for _ in range(5):
        with served.connect() as sock:
            head = (
                b"POST /api/v1/readings HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + b"Content-Length: %d\r\n\r\n" % (100 * MB)
            )
            sock.sendall(head)
            sent = 0
            try:  # the server answers and closes; what it has not read is never kept
                while sent < 100 * MB:
                    sock.sendall(b"[" * MB)
                    sent += MB
            except (BrokenPipeError, ConnectionResetError):
                pass
            answer = read_all(sock)
        assert status_of(answer) in (401, 413)
        assert sent < 100 * MB
    assert served.rss() - before < 5 * MB


def test_a_chunked_body_over_the_limit_is_cut_with_413(served) -> None:
    with served.connect() as sock:
        sock.sendall(
            b"POST /sign-in HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
        )
        chunk = b"a" * 65536
        try:
            for _ in range(64):  # 4 MB, far above the pages' 256 KB
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = read_all(sock)
    assert status_of(answer) == 413
    assert b"request.too_large" in answer


def test_oversized_headers_are_refused(served) -> None:
    with served.connect() as sock:
        huge = b"X-Padding: " + b"a" * (1 * MB) + b"\r\n"
        try:
            answer = exchange(sock, b"GET /health HTTP/1.1\r\nHost: x\r\n" + huge + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            answer = read_all(sock)
    assert status_of(answer) in (400, 431)


def test_many_headers_of_a_modest_size_are_refused_too(served) -> None:
    headers = b"".join(b"X-H%d: %s\r\n" % (n, b"b" * 500) for n in range(100))
    with served.connect() as sock:
        answer = exchange(sock, b"GET /health HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert status_of(answer) == 431


def test_a_connection_trickling_its_headers_is_closed_after_the_timeout(served) -> None:
    with served.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < HEADER_TIMEOUT + 5:
            try:
                sock.sendall(b"X: y\r\n")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.2)
    assert closed
    assert time.monotonic() - started < HEADER_TIMEOUT + 3


def test_many_idle_connections_do_not_starve_a_normal_request(served) -> None:
    # The server may open only 20 more files than it holds: 50 idle connections take every one
    # of them, for good if their heads were awaited forever.
    process = psutil.Process(served.process.pid)
    usual = process.rlimit(psutil.RLIMIT_NOFILE)
    process.rlimit(psutil.RLIMIT_NOFILE, (process.num_fds() + 20, usual[1]))
    idle = [served.connect() for _ in range(50)]
    try:
        for sock in idle[::2]:
            sock.sendall(b"GET /health HTTP/1.1\r\n")  # half say nothing, half start a head
        time.sleep(HEADER_TIMEOUT + 0.5)
        with served.connect() as sock:
            answer = exchange(sock, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert status_of(answer) in (200, 503)
    finally:
        process.rlimit(psutil.RLIMIT_NOFILE, usual)
        for sock in idle:
            sock.close()


def test_a_request_within_the_bounds_is_served_and_kept_alive(served) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        for _ in range(2):
            connection.request("GET", "/health")
            response = connection.getresponse()
            response.read()
            assert response.status in (200, 503)
        assert connection.sock is not None  # the same connection both times
    finally:
        connection.close()
