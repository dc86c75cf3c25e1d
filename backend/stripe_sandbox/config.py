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
    # An error storm: of every `error_period` API requests, the first `error_burst` are answered
    # with `error_status` (500: Stripe's api_error, 429: its rate_limit), None = no storm.
    error_status: int | None = None
    error_burst: int = 3
    error_period: int = 10
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
        if self.error_status is not None and self.error_status != 429 and self.error_status < 500:
            raise ValueError("error_status must be 429 or a 5xx")
        if not 0 < self.error_burst < self.error_period:
            raise ValueError("error_burst must be at least 1 and less than error_period")
        if self.start is not None and self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware (UTC)")
