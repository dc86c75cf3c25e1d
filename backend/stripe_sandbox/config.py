"""Configuration of one sandbox instance (one SQLite file = one sandbox)."""

from dataclasses import dataclass
from datetime import datetime

MIN_SIZE = 100
MAX_SIZE = 1_000_000

# Published in this repository, so anyone can sign a webhook or call the API with them: fine for
# a sandbox on a developer's machine, refused by the app's settings in production.
SECRET_KEY = "sk_test_vaultra_sandbox"
CLIENT_ID = "ca_vaultra_sandbox"
WEBHOOK_SECRET = "whsec_vaultra_sandbox"
WELL_KNOWN_CREDENTIALS = frozenset({SECRET_KEY, CLIENT_ID, WEBHOOK_SECRET})


@dataclass(frozen=True)
class SandboxConfig:
    db_path: str  # the sandbox's own SQLite file
    secret_key: str = SECRET_KEY
    client_id: str = CLIENT_ID
    webhook_url: str | None = None  # where advance() delivers events
    webhook_secret: str = WEBHOOK_SECRET
    # Where the authorize page may send codes, like the redirect URIs registered in Stripe's
    # Connect settings; a request naming none gets the first.
    redirect_uris: tuple[str, ...] = ()
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
