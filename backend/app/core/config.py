"""Settings from the environment (and `.env`), validated once at start-up."""

import base64
import ipaddress
import math
import os
import secrets
import string
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

BACKEND_DIR = Path(__file__).resolve().parents[2]
# `.env` is found beside the package (backend/.env), whatever the working directory;
# VAULTRA_ENV_FILE names another one.
ENV_FILE_VARIABLE = "VAULTRA_ENV_FILE"
# Set by `vaultra serve` once it has bound its socket: the URL the server is reachable at.
BOUND_URL_VARIABLE = "VAULTRA_BOUND_URL"
PLACEHOLDER_PREFIXES = ("change-me", "changeme", "placeholder", "xxx", "your-")

# Secrets that production refuses to start without.
PRODUCTION_SECRETS = (
    "jwt_secret",
    "stripe_secret_key",
    "stripe_webhook_secret",
    "stripe_connect_client_id",
    "report_signing_key",
)

# RFC 7518 3.2: an HS256 key has at least 256 bits.
JWT_SECRET_MIN_BYTES = 32
JWT_SECRET_MIN_BITS = 256
# The alphabets secrets are usually drawn from, smallest first: a secret made only of hex digits
# carries 4 bits per character, so 32 bytes of material take 64 of them (43 base64 ones).
_ALPHABETS = (
    (frozenset(string.digits), 10),
    (frozenset(string.hexdigits), 16),
    (frozenset(string.ascii_letters + string.digits), 62),
    (frozenset(string.ascii_letters + string.digits + "-_+/="), 64),
)
_PRINTABLE = 95
# zxcvbn's estimate of the guesses needed, ~2^100. It prices an unknown character at 10 guesses,
# so a random 32-character token scores about 10^31, a 64-character one 10^63; a repeated,
# sequential, keyboard or dictionary value scores far lower (32 a's: 10^2.6,
# "my-super-secret-jwt-key-for-production": 10^27.7).
JWT_SECRET_MIN_GUESSES_LOG10 = 30.0
# zxcvbn's cost grows with the length; a longer secret is at least as strong as its start.
_STRENGTH_CHECKED_CHARS = 72
GENERATE_SECRET_HINT = (
    'generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
)


class AppEnv(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class LogFormat(StrEnum):
    console = "console"
    json = "json"


def env_file() -> Path:
    """backend/.env, found from the package's location (or $VAULTRA_ENV_FILE)."""
    return Path(os.environ.get(ENV_FILE_VARIABLE) or BACKEND_DIR / ".env")


def bound_url(host: str, port: int) -> str:
    """The URL a browser on this machine reaches a server bound to `host`:`port` at.

    A wildcard address (0.0.0.0, ::) is reachable on loopback; an IPv6 one is bracketed.
    """
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - the wildcard is read, not bound
        host = "127.0.0.1" if host != "::" else "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class Settings(BaseSettings):
    # Errors never echo the input: it holds the secrets.
    model_config = SettingsConfigDict(
        env_file=BACKEND_DIR / ".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        hide_input_in_errors=True,
    )

    app_env: AppEnv = AppEnv.development
    # Unset: the URL the server actually bound (`vaultra serve`, any port), else 127.0.0.1:PORT.
    # Stripe's OAuth redirect and the sandbox's webhooks are built from it.
    app_base_url: str = ""
    # Unset: APP_BASE_URL (the web app is served at the same origin).
    frontend_url: str = ""
    port: int = Field(default=8000, ge=0, le=65535)
    data_dir: Path = BACKEND_DIR / "data"
    # The web app's build (`astro build`); served at this origin when it holds an index.html.
    frontend_dist: Path = BACKEND_DIR.parent / "frontend" / "dist"
    log_level: str = "INFO"
    # --- Logs (ops-run) ---
    # console: one readable line per record; json: one object per line, for a log pipeline.
    # Unset: console in development, json otherwise.
    log_format: LogFormat | None = None
    # Per-logger levels, e.g. "stripe=INFO,httpx=DEBUG"; stripe, httpx and httpcore are at
    # WARNING unless named here (each request they make is otherwise an INFO line).
    log_levels: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)

    database_url: str = ""
    # PostgreSQL connections per process: kept open, plus extra ones opened under load. Requests
    # beyond both wait for a connection, so size them to the concurrency a worker serves.
    database_pool_size: int = Field(default=10, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
    redis_url: str | None = None
    # With REDIS_URL, jobs go to ARQ and `vaultra worker` runs them; without, the API does.
    jobs_queue_name: str = "vaultra:jobs"
    jobs_retry_base_seconds: float = 15.0
    # How long work stays claimed once the process running it dies (an ARQ job, a Stripe sync):
    # a live process renews its claims every third of this, so a killed worker's jobs run again
    # within about this long.
    jobs_lease_seconds: float = Field(default=30.0, gt=0)
    # The in-process schedule (no REDIS_URL); off by default in tests.
    jobs_scheduler_enabled: bool = True

    # Proxies trusted for X-Forwarded-For/-Proto (IPs or networks, comma-separated): the client
    # IP that logs and the login throttle see. "*" trusts anyone, refused in production.
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(default=["127.0.0.1"])
    # Request bodies larger than this are refused with 413 before they are read.
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Stripe webhook deliveries (one event, its object embedded) get more room.
    max_webhook_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # API requests one process works on at once; later ones wait in arrival order (0: no limit).
    # A request holds its place until its response starts, or for this long at most.
    max_concurrent_requests: int = Field(default=10, ge=0, le=10_000)
    admission_permit_seconds: float = Field(default=0.25, gt=0, le=60)

    jwt_secret: SecretStr | None = None
    jwt_expire_minutes: int = 24 * 60

    login_max_failures: int = 10
    login_window_seconds: int = 15 * 60

    google_client_id: str | None = None
    google_client_secret: SecretStr | None = None
    google_auth_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    google_token_url: str = "https://oauth2.googleapis.com/token"
    google_jwks_url: str = "https://www.googleapis.com/oauth2/v3/certs"
    google_issuers: Annotated[list[str], NoDecode] = Field(
        default=["https://accounts.google.com", "accounts.google.com"]
    )

    stripe_secret_key: SecretStr | None = None
    # Comma-separated so a rotated secret and its successor both verify.
    stripe_webhook_secret: SecretStr | None = None
    stripe_connect_client_id: str | None = None
    stripe_api_base: str = "https://api.stripe.com"
    stripe_connect_base: str = "https://connect.stripe.com"
    # Where the browser is sent to authorize; unset, STRIPE_CONNECT_BASE. Differs only when the
    # server and the browser reach Connect by different names (the compose sandbox).
    stripe_connect_authorize_base: str | None = None
    # Requests/s per connected account, shared by all of its requests in a process. 25 is
    # Stripe's test-mode limit and a quarter of live mode's 100, leaving the merchant room.
    stripe_max_rps: float = Field(default=25.0, gt=0)
    # How far back the first sync goes; None = the account's whole history.
    stripe_backfill_days: int | None = Field(default=None, gt=0)
    # Each incremental sync re-lists objects created this recently, to catch status changes.
    stripe_refresh_days: int = Field(default=14, ge=0)

    pinecone_api_key: SecretStr | None = None
    pinecone_index: str = "vaultra-knowledge"
    # The index's data-plane URL; when unset it is looked up by name (one control-plane call).
    pinecone_host: str | None = None
    pinecone_namespace: str = ""

    openai_api_key: SecretStr | None = None
    # Any OpenAI-compatible server (Ollama, vLLM); with neither key nor URL the agent is offline.
    openai_base_url: str | None = None
    openai_model: str = "gpt-4o-mini"
    # Empty disables embeddings (e.g. a local server without an embedding model).
    openai_embedding_model: str = "text-embedding-3-small"
    llm_timeout_seconds: float = 30.0
    llm_max_retries: int = 2
    agent_max_tool_iterations: int = 5

    knowledge_dir: Path = BACKEND_DIR / "docs" / "knowledge"
    # Development only: ingest the shipped knowledge base when the database has none.
    kb_auto_ingest: bool = True

    # --- Lender reports (app/reports) ---
    # Ed25519 private key (the 32-byte seed, base64url) that signs frozen reports; its public
    # half is served at /.well-known/vaultra-report-key. Generated once into DATA_DIR in
    # development, like JWT_SECRET; production refuses to start without one.
    report_signing_key: SecretStr | None = None
    # Report page and PDF requests allowed per minute, per token and per client address.
    report_rate_per_token: int = Field(default=60, ge=1, le=100_000)
    report_rate_per_client: int = Field(default=120, ge=1, le=100_000)

    @model_validator(mode="after")
    def _report_signing_key_check(self) -> "Settings":
        if not _is_unset(self.report_signing_key):
            seed = _secret_text(self.report_signing_key).strip()
            try:
                raw = base64.urlsafe_b64decode(seed + "=" * (-len(seed) % 4))
            except ValueError:
                raw = b""
            if len(raw) != 32:
                raise ValueError(
                    "REPORT_SIGNING_KEY must be 32 bytes, base64url-encoded; generate one with: "
                    'python -c "import base64, os; '
                    'print(base64.urlsafe_b64encode(os.urandom(32)).decode())"'
                )
        # Production requires it: PRODUCTION_SECRETS.
        return self

    def resolved_report_signing_key(self) -> str:
        """The report key; in development a generated one is kept in the data folder."""
        if not _is_unset(self.report_signing_key):
            return _secret_text(self.report_signing_key).strip()
        if self.app_env == AppEnv.production:
            raise RuntimeError("REPORT_SIGNING_KEY is not set")
        path = self.data_dir / ".report_signing_key"
        if path.exists():
            return path.read_text().strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
        return path.read_text().strip()

    # --- end of lender reports ---

    # Host/Origin values the MCP endpoint accepts (DNS-rebinding protection); comma-separated.
    mcp_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    mcp_allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # --- Email (app/notifications) ---------------------------------------------------------
    # No SMTP_HOST (the embedded default): mail stays in the outbox, readable at /dev/mailbox
    # and with `vaultra mail list`, and is never sent.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    # STARTTLS after connecting (port 587); off for a local relay or a test server.
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    email_from: str = "Vaultra <notifications@vaultra.local>"
    # --- end of email settings --------------------------------------------------------------

    # --- Observability (app/core/observability.py, deploy/README.md) ---
    # Prometheus metrics on this port, apart from the API's (unset: not served). The image and
    # deploy/ set 9100; the ingress never routes it.
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    # How often the gauges read from the database (oldest waiting webhook, stale syncs) refresh.
    metrics_refresh_seconds: float = Field(default=30.0, gt=0)
    # Errors go to Sentry when set, scrubbed of request bodies, tokens and email addresses.
    sentry_dsn: SecretStr | None = None
    # The release Sentry files errors under (deploy/ sets the image tag).
    sentry_release: str | None = None

    @field_validator(
        "google_issuers",
        "mcp_allowed_hosts",
        "mcp_allowed_origins",
        "forwarded_allow_ips",
        mode="before",
    )
    @classmethod
    def _split_issuers(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("log_levels", mode="before")
    @classmethod
    def _split_log_levels(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        levels: dict[str, str] = {}
        for item in value.split(","):
            if not item.strip():
                continue
            name, sep, level = item.partition("=")
            if not sep or not name.strip() or level.strip().upper() not in _LEVEL_NAMES:
                raise ValueError(f"{item.strip()!r} is not logger=LEVEL (LEVEL: DEBUG..CRITICAL)")
            levels[name.strip()] = level.strip().upper()
        return levels

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        # uvicorn would take a typo for a literal host name and silently trust nothing.
        for item in value:
            if item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _normalize_database_url(cls, value: object) -> object:
        # Hosted Postgres often hands out postgres:// URLs; we need the async driver.
        if isinstance(value, str):
            for prefix in ("postgres://", "postgresql://"):
                if value.startswith(prefix):
                    return "postgresql+asyncpg://" + value[len(prefix) :]
        return value

    @model_validator(mode="after")
    def _defaults_and_production_checks(self) -> "Settings":
        if not self.app_base_url:
            self.app_base_url = os.environ.get(BOUND_URL_VARIABLE) or bound_url(
                "127.0.0.1", self.port
            )
        if not self.frontend_url:
            self.frontend_url = self.app_base_url
        if self.log_format is None:
            development = self.app_env == AppEnv.development
            self.log_format = LogFormat.console if development else LogFormat.json
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'vaultra.db'}"
        if self.app_env == AppEnv.test and "jobs_scheduler_enabled" not in self.model_fields_set:
            self.jobs_scheduler_enabled = False
        if not self.mcp_allowed_hosts:
            self.mcp_allowed_hosts = [*_LOOPBACK_HOSTS, urlsplit(self.app_base_url).netloc]
        if not self.mcp_allowed_origins:
            origins = [_origin(self.app_base_url), _origin(self.frontend_url)]
            self.mcp_allowed_origins = [f"http://{host}" for host in _LOOPBACK_HOSTS] + origins
        if self.app_env == AppEnv.production:
            self._production_checks()
        return self

    def _production_checks(self) -> None:
        from stripe_sandbox.config import WELL_KNOWN_CREDENTIALS

        missing = [name for name in PRODUCTION_SECRETS if _is_unset(getattr(self, name))]
        if missing:
            names = ", ".join(name.upper() for name in missing)
            raise ValueError(f"production requires these settings to be set: {names}")
        weakness = jwt_secret_weakness(_secret_text(self.jwt_secret))
        if weakness:
            raise ValueError(
                f"JWT_SECRET is too weak for production ({weakness}); {GENERATE_SECRET_HINT}"
            )
        configured = {
            "STRIPE_SECRET_KEY": [_secret_text(self.stripe_secret_key).strip()],
            "STRIPE_WEBHOOK_SECRET": self.webhook_secrets(),
            "STRIPE_CONNECT_CLIENT_ID": [self.stripe_connect_client_id or ""],
        }
        sandbox = [
            name for name, values in configured.items() if WELL_KNOWN_CREDENTIALS & set(values)
        ]
        if sandbox:
            raise ValueError(
                "production refuses the development Stripe sandbox's published credentials in: "
                + ", ".join(sandbox)
            )
        if "*" in self.forwarded_allow_ips:
            raise ValueError(
                "FORWARDED_ALLOW_IPS=* lets any client choose the IP that logs and the login "
                "throttle see; list the load balancer's addresses instead"
            )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def smtp_enabled(self) -> bool:
        return bool(self.smtp_host and self.smtp_host.strip())

    @property
    def google_enabled(self) -> bool:
        return bool(self.google_client_id)

    @property
    def llm_enabled(self) -> bool:
        return not _is_unset(self.openai_api_key) or bool(self.openai_base_url)

    @property
    def embeddings_enabled(self) -> bool:
        return self.llm_enabled and bool(self.openai_embedding_model)

    @property
    def pinecone_enabled(self) -> bool:
        """Pinecone needs an embedder too: vectors come from OpenAI embeddings."""
        return not _is_unset(self.pinecone_api_key) and self.embeddings_enabled

    def resolved_jwt_secret(self) -> str:
        """The signing key; in development a generated one is kept in the data folder."""
        if self.jwt_secret is not None and not _is_unset(self.jwt_secret):
            return self.jwt_secret.get_secret_value()
        if self.app_env == AppEnv.production:
            raise RuntimeError("JWT_SECRET is not set")
        return _persistent_dev_secret(self.data_dir / ".jwt_secret")

    def webhook_secrets(self) -> list[str]:
        if self.stripe_webhook_secret is None:
            return []
        raw = self.stripe_webhook_secret.get_secret_value()
        return [item.strip() for item in raw.split(",") if item.strip()]


_LEVEL_NAMES = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_LOOPBACK_HOSTS = ("127.0.0.1", "127.0.0.1:*", "localhost", "localhost:*", "[::1]", "[::1]:*")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def jwt_secret_weakness(secret: str) -> str | None:
    """Why `secret` is too weak to sign tokens, or None.

    HS256 tokens can be brute-forced offline from any one token, so the key must be long and
    unguessable: at least 32 bytes of material (256 bits, counted by the alphabet its
    characters come from), and not a repeated, sequential, keyboard or dictionary value
    (zxcvbn's estimate, which knows those patterns).
    """
    from zxcvbn import zxcvbn

    size = len(secret.encode())
    if size < JWT_SECRET_MIN_BYTES:
        return f"{size} bytes, at least {JWT_SECRET_MIN_BYTES} are needed"
    characters = set(secret)
    alphabet = next((n for chars, n in _ALPHABETS if characters <= chars), _PRINTABLE)
    bits = int(len(secret) * math.log2(alphabet))
    if bits < JWT_SECRET_MIN_BITS:
        return (
            f"its characters carry at most {bits} bits, at least {JWT_SECRET_MIN_BITS} are needed"
        )
    guesses_log10 = float(zxcvbn(secret[:_STRENGTH_CHECKED_CHARS])["guesses_log10"])
    if guesses_log10 < JWT_SECRET_MIN_GUESSES_LOG10:
        return f"guessable: about 10^{guesses_log10:.0f} guesses, at least 10^30 are needed"
    return None


def _secret_text(value: SecretStr | None) -> str:
    return value.get_secret_value() if value is not None else ""


def _is_unset(value: object) -> bool:
    if value is None:
        return True
    text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return not text.strip() or text.strip().lower().startswith(PLACEHOLDER_PREFIXES)


def _persistent_dev_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret


@lru_cache
def get_settings() -> Settings:
    return Settings(_env_file=env_file())  # type: ignore[call-arg]
