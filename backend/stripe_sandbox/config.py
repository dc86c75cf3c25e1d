"""Configuration of one sandbox instance (one SQLite file = one sandbox)."""

from dataclasses import dataclass
from datetime import datetime

MIN_SIZE = 100
MAX_SIZE = 1_000_000


@dataclass(frozen=True)
class SandboxConfig:
    db_path: str  # the sandbox's own SQLite file
    secret_key: str = "sk_test_vaultra_sandbox"
    client_id: str = "ca_vaultra_sandbox"
    webhook_url: str | None = None  # where advance() delivers events
    webhook_secret: str = "whsec_vaultra_sandbox"
    rate_limit: float | None = None  # requests/s per API key, None = unlimited
    latency_ms: int = 0
    seed: int = 42
    size: int | None = None  # target charges per merchant (None = each merchant's default)
    start: datetime | None = None  # the sandbox's initial "now" (UTC); default: real now

    def __post_init__(self) -> None:
        if self.size is not None and not MIN_SIZE <= self.size <= MAX_SIZE:
            raise ValueError(f"size must be between {MIN_SIZE} and {MAX_SIZE}, got {self.size}")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ValueError("rate_limit must be positive (or None for unlimited)")
        if self.latency_ms < 0:
            raise ValueError("latency_ms must not be negative")
        if self.start is not None and self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware (UTC)")
