"""What the service allows: request size and time, batching, streaming sessions."""

from __future__ import annotations

import json
from dataclasses import dataclass

from rnnkit.errors import ConfigError


@dataclass(frozen=True)
class Limits:
    """`max_request_bytes`: a larger body is answered 413; `timeout_s`: a request whose model
    call takes longer is answered 503; concurrent classify/tag requests are batched, waiting
    up to `batch_wait_ms` for up to `max_batch` inputs; a session idle for `session_idle_s`
    expires; at most `max_sessions` live at once."""

    max_request_bytes: int = 1 << 20
    timeout_s: float = 30.0
    batch_wait_ms: float = 0.0  # docs/benchmarks.md: waiting 2 ms cost throughput and p99
    max_batch: int = 64
    session_idle_s: float = 300.0
    max_sessions: int = 64

    def __post_init__(self) -> None:
        for name in ("max_request_bytes", "max_batch", "max_sessions"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("timeout_s", "session_idle_s"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be > 0, got {getattr(self, name)}")
        if not self.batch_wait_ms >= 0:
            raise ConfigError(f"batch_wait_ms must be >= 0, got {self.batch_wait_ms}")


class BodyLimit:
    """ASGI middleware: a request body larger than `max_bytes` is answered 413, counting the
    bytes as they arrive (a chunked body declares no length; a declared length may lie), so
    no more than `max_bytes` is ever held. The body read is handed on to the application."""

    def __init__(self, app, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return await self.refuse(send)
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await self.refuse(send)
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()  # later messages: a disconnect
            sent = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        return await self.app(scope, replay, send)

    async def refuse(self, send) -> None:
        answer = json.dumps({"detail": f"the request is larger than {self.max_bytes} bytes"}
                            ).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})
