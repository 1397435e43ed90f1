"""Talking to a real `rnnkit serve` on 127.0.0.1 in tests: start one on a free port, wait for
it to answer, send JSON requests, stop it (bounded waits throughout)."""

import contextlib
import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(base: str, path: str, body=None, method=None, raw: bytes | None = None,
         timeout: float = 60):
    """(status, JSON answer) of one HTTP request."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(base + path, data=data, method=method or (
        "POST" if data is not None else "GET"), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            payload = response.read()
            return response.status, json.loads(payload) if payload else None
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@contextlib.contextmanager
def serving(folders, *flags):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "rnnkit", "serve", *map(str, folders),
                               "--port", str(port), "--device", "cpu", *flags],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the server stopped: {server.communicate()[1]}")
            try:
                if call(base, "/health", timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start within 120 s")
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        try:
            server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
