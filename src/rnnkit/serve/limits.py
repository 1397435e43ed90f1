"""What the service allows: request size and time, batching, streaming sessions."""

from __future__ import annotations

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
