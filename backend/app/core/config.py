"""Settings from the environment (and `.env`), validated once at start-up."""

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

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
    log_level: str = "INFO"

    database_url: str = ""
    redis_url: str | None = None

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

    pinecone_api_key: SecretStr | None = None
    pinecone_index: str = "vaultra-knowledge"
    openai_api_key: SecretStr | None = None

    @field_validator("google_issuers", mode="before")
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
