import base64
import secrets
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.core.config import (
    BACKEND_DIR,
    BOUND_URL_VARIABLE,
    ENV_FILE_VARIABLE,
    Settings,
    bound_url,
    env_file,
    get_settings,
)
from stripe_sandbox import SandboxConfig

STRONG_SECRET = secrets.token_urlsafe(48)
REPORT_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def production(tmp_path: Path, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "app_env": "production",
        "data_dir": tmp_path,
        "jwt_secret": STRONG_SECRET,
        "stripe_secret_key": "sk_live_realistic",
        "stripe_webhook_secret": "whsec_realistic",
        "stripe_connect_client_id": "ca_realistic",
        "report_signing_key": REPORT_KEY,
    }
    return Settings(_env_file=None, **(values | changes))  # type: ignore[call-arg]


def test_production_refuses_missing_or_placeholder_secrets(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, app_env="production", data_dir=tmp_path)  # type: ignore[call-arg]
    assert "JWT_SECRET" in str(error.value)
    assert "STRIPE_SECRET_KEY" in str(error.value)

    with pytest.raises(ValidationError) as error:
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            app_env="production",
            data_dir=tmp_path,
            jwt_secret="change-me",
            stripe_secret_key="sk_live_realistic",
            stripe_webhook_secret="whsec_realistic",
            stripe_connect_client_id="ca_realistic",
        )
    assert "JWT_SECRET" in str(error.value)
    assert "STRIPE_SECRET_KEY" not in str(error.value)


def test_development_jwt_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = Settings(_env_file=None, data_dir=tmp_path).resolved_jwt_secret()  # type: ignore[call-arg]
    second = Settings(_env_file=None, data_dir=tmp_path).resolved_jwt_secret()  # type: ignore[call-arg]
    assert first == second
    assert len(first) >= 48
    assert (tmp_path / ".jwt_secret").stat().st_mode & 0o077 == 0


def test_defaults_and_url_normalization(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)  # type: ignore[call-arg]
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'vaultra.db'}"
    assert settings.app_base_url == "http://127.0.0.1:8000"
    hosted = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url="postgres://u:p@db.internal:5432/vaultra",
        stripe_webhook_secret="whsec_old, whsec_new",
    )
    assert hosted.database_url == "postgresql+asyncpg://u:p@db.internal:5432/vaultra"
    assert hosted.webhook_secrets() == ["whsec_old", "whsec_new"]


def test_env_example_documents_every_setting() -> None:
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    documented = {
        line.split("=")[0].strip().lstrip("# ") for line in example.splitlines() if "=" in line
    }
    missing = {name.upper() for name in Settings.model_fields} - documented
    assert not missing, f".env.example does not document: {sorted(missing)}"


@pytest.mark.parametrize(
    "weak",
    [
        "a",
        "secret",
        "password123",
        "0123456789abcdef",
        "a" * 64,
        "0123456789abcdef" * 2,
        "password123" * 3,
        "abcdefghijklmnopqrstuvwxyz012345",
        "qwertyuiopasdfghjklzxcvbnm123456",
        "correcthorsebatterystaple12345678",
        "my-super-secret-jwt-key-for-production",
        # 32 characters, but only 16 bytes of randomness.
        pytest.param(secrets.token_hex(16), id="token_hex(16)"),
    ],
)
def test_production_refuses_a_weak_jwt_secret(tmp_path: Path, weak: str) -> None:
    with pytest.raises(ValidationError) as error:
        production(tmp_path, jwt_secret=weak)
    message = str(error.value)
    assert "JWT_SECRET is too weak" in message
    assert "secrets.token_urlsafe(48)" in message
    if len(weak) >= 16:  # shorter ones are substrings of the message itself
        assert weak not in message


def test_production_accepts_generated_secrets(tmp_path: Path) -> None:
    for secret in (STRONG_SECRET, secrets.token_urlsafe(32), secrets.token_hex(32)):
        assert production(tmp_path, jwt_secret=secret).resolved_jwt_secret() == secret


def test_production_refuses_the_sandboxs_published_credentials(tmp_path: Path) -> None:
    sandbox = SandboxConfig(db_path=str(tmp_path / "sandbox.db"))
    published = {
        "stripe_webhook_secret": ("STRIPE_WEBHOOK_SECRET", f"whsec_new, {sandbox.webhook_secret}"),
        "stripe_secret_key": ("STRIPE_SECRET_KEY", sandbox.secret_key),
        "stripe_connect_client_id": ("STRIPE_CONNECT_CLIENT_ID", sandbox.client_id),
    }
    for field, (name, value) in published.items():
        with pytest.raises(ValidationError) as error:
            production(tmp_path, **{field: value})
        assert "sandbox" in str(error.value)
        assert name in str(error.value)
    # Development runs on them.
    Settings(_env_file=None, stripe_webhook_secret=sandbox.webhook_secret)  # type: ignore[call-arg]


def test_forwarded_allow_ips_are_addresses_and_never_everyone_in_production(
    tmp_path: Path,
) -> None:
    assert Settings(_env_file=None).forwarded_allow_ips == ["127.0.0.1"]  # type: ignore[call-arg]
    ranges = production(tmp_path, forwarded_allow_ips="130.211.0.0/22, 35.191.0.0/16,10.0.0.7")
    assert ranges.forwarded_allow_ips == ["130.211.0.0/22", "35.191.0.0/16", "10.0.0.7"]
    with pytest.raises(ValidationError) as error:
        production(tmp_path, forwarded_allow_ips="*")
    assert "FORWARDED_ALLOW_IPS" in str(error.value)
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, forwarded_allow_ips="10.0.0.0/8,load-balancer")  # type: ignore[call-arg]
    assert "'load-balancer' is not an IP address or network" in str(error.value)


# --- First run anywhere (ops-run) ---


def test_env_file_is_found_beside_the_package_not_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(ENV_FILE_VARIABLE, raising=False)
    assert env_file() == BACKEND_DIR / ".env"
    assert BACKEND_DIR.joinpath("app", "core", "config.py").is_file()

    other = tmp_path / "elsewhere.env"
    other.write_text("PORT=8123\nLOG_LEVEL=DEBUG\n")
    monkeypatch.setenv(ENV_FILE_VARIABLE, str(other))
    for name in ("PORT", "LOG_LEVEL", "APP_BASE_URL", BOUND_URL_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        settings = get_settings()
    finally:
        get_settings.cache_clear()
    assert settings.port == 8123
    assert settings.log_level == "DEBUG"
    assert settings.app_base_url == "http://127.0.0.1:8123"


def test_unset_urls_follow_the_address_served(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BOUND_URL_VARIABLE, raising=False)
    settings = Settings(_env_file=None, port=8765)  # type: ignore[call-arg]
    assert settings.app_base_url == "http://127.0.0.1:8765"
    assert settings.frontend_url == "http://127.0.0.1:8765"
    assert "127.0.0.1:8765" in settings.mcp_allowed_hosts

    # What `vaultra serve` bound (PORT=0 included) wins over PORT...
    monkeypatch.setenv(BOUND_URL_VARIABLE, "http://127.0.0.1:41234")
    settings = Settings(_env_file=None, port=0)  # type: ignore[call-arg]
    assert settings.app_base_url == settings.frontend_url == "http://127.0.0.1:41234"
    # ...and a configured URL wins over both.
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, app_base_url="https://api.example.com", frontend_url="https://example.com"
    )
    assert settings.app_base_url == "https://api.example.com"
    assert settings.frontend_url == "https://example.com"


@pytest.mark.parametrize(
    ("host", "port", "url"),
    [
        ("127.0.0.1", 8765, "http://127.0.0.1:8765"),
        ("0.0.0.0", 8000, "http://127.0.0.1:8000"),
        ("::", 8000, "http://[::1]:8000"),
        ("::1", 9000, "http://[::1]:9000"),
        ("localhost", 80, "http://localhost:80"),
    ],
)
def test_bound_url_is_what_a_local_browser_reaches(host: str, port: int, url: str) -> None:
    assert bound_url(host, port) == url


def test_log_format_and_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    development = Settings(_env_file=None, app_env="development")  # type: ignore[call-arg]
    assert development.log_format == "console"
    assert production(Path("/tmp")).log_format == "json"
    monkeypatch.setenv("LOG_LEVELS", "stripe=info, httpx=DEBUG")
    assert Settings(_env_file=None).log_levels == {"stripe": "INFO", "httpx": "DEBUG"}  # type: ignore[call-arg]
    monkeypatch.setenv("LOG_LEVELS", "stripe=loud")
    with pytest.raises(ValidationError, match="logger=LEVEL"):
        Settings(_env_file=None)  # type: ignore[call-arg]
