"""Settings from the environment (and `.env`), validated once at start-up."""

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

BACKEND_DIR = Path(__file__).resolve().parents[2]
PLACEHOLDER_PREFIXES = ("change-me", "changeme", "placeholder", "xxx", "your-")

# Secrets that production refuses to start without.
PRODUCTION_SECRETS = (
    "jwt_secret",
    "stripe_secret_key",
    "stripe_webhook_secret",
    "stripe_connect_client_id",
)


class AppEnv(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    app_env: AppEnv = AppEnv.development
    app_base_url: str = "http://127.0.0.1:8000"
    frontend_url: str = "http://127.0.0.1:8000"
    port: int = 8000
    data_dir: Path = BACKEND_DIR / "data"
    # The web app's build (`astro build`); served at this origin when it holds an index.html.
    frontend_dist: Path = BACKEND_DIR.parent / "frontend" / "dist"
    log_level: str = "INFO"

    database_url: str = ""
    # PostgreSQL connections per process: kept open, plus extra ones opened under load. Requests
    # beyond both wait for a connection, so size them to the concurrency a worker serves.
    database_pool_size: int = Field(default=10, ge=1)
    database_max_overflow: int = Field(default=10, ge=0)
    redis_url: str | None = None
    # With REDIS_URL, jobs go to ARQ and `vaultra worker` runs them; without, the API does.
    jobs_queue_name: str = "vaultra:jobs"
    jobs_retry_base_seconds: float = 15.0
    # The in-process schedule (no REDIS_URL); off by default in tests.
    jobs_scheduler_enabled: bool = True

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

    # Host/Origin values the MCP endpoint accepts (DNS-rebinding protection); comma-separated.
    mcp_allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    mcp_allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("google_issuers", "mcp_allowed_hosts", "mcp_allowed_origins", mode="before")
    @classmethod
    def _split_issuers(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
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
            missing = [name for name in PRODUCTION_SECRETS if _is_unset(getattr(self, name))]
            if missing:
                names = ", ".join(name.upper() for name in missing)
                raise ValueError(f"production requires these settings to be set: {names}")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

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


_LOOPBACK_HOSTS = ("127.0.0.1", "127.0.0.1:*", "localhost", "localhost:*", "[::1]", "[::1]:*")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


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
    return Settings()
