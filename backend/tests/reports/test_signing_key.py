import base64
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.core.config import Settings
from app.reports.signing import get_signer, normalize_code, verification_code


def test_development_generates_the_key_once_and_keeps_it(tmp_path: Path) -> None:
    first = Settings(_env_file=None, data_dir=tmp_path).resolved_report_signing_key()  # type: ignore[call-arg]
    second = Settings(_env_file=None, data_dir=tmp_path).resolved_report_signing_key()  # type: ignore[call-arg]
    assert first == second
    assert (tmp_path / ".report_signing_key").stat().st_mode & 0o077 == 0
    signer = get_signer(Settings(_env_file=None, data_dir=tmp_path))  # type: ignore[call-arg]
    signature = signer.sign('{"a":1}')
    assert signer.verify('{"a":1}', signature)
    assert not signer.verify('{"a":2}', signature)


def test_production_requires_a_well_formed_key(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, app_env="production", data_dir=tmp_path)  # type: ignore[call-arg]
    assert "REPORT_SIGNING_KEY" in str(error.value)
    with pytest.raises(ValidationError) as error:
        Settings(_env_file=None, report_signing_key="not-a-key", data_dir=tmp_path)  # type: ignore[call-arg]
    assert "32 bytes" in str(error.value)
    seed = base64.urlsafe_b64encode(os.urandom(32)).decode()
    configured = Settings(_env_file=None, report_signing_key=seed, data_dir=tmp_path)  # type: ignore[call-arg]
    assert configured.resolved_report_signing_key() == seed
    assert not (tmp_path / ".report_signing_key").exists()


def test_codes_are_short_and_forgiving() -> None:
    code = verification_code("some-signature")
    assert len(code) == 11
    assert normalize_code(code.lower().replace("-", " ")) == code
