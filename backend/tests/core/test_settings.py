from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import Settings


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
