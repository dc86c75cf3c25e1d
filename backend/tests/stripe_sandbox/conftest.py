"""Fixtures for the Stripe sandbox tests: sandboxes in tmp files, served on loopback ports."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from stripe_sandbox import SandboxConfig, connect_merchant, create_app
from stripe_sandbox.merchants import MERCHANTS, merchant_account_id
from tests.servers import serve_in_thread

START = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
# The one place the sandbox's authorize page sends codes to (the app's callback, registered).
REDIRECT = "https://vaultra.test/stripe/callback?from=test"


@pytest.fixture(scope="session")
def shared_config(tmp_path_factory: pytest.TempPathFactory) -> SandboxConfig:
    """One read-only sandbox with every sample merchant at its default size, all connected.

    Tests that change state (advance, deauthorize, rate limits) build their own sandbox.
    """
    path = tmp_path_factory.mktemp("sandbox") / "shared.db"
    config = SandboxConfig(db_path=str(path), start=START, redirect_uris=(REDIRECT,))
    for merchant in MERCHANTS:
        connect_merchant(config, merchant.key)
    return config


@pytest.fixture(scope="session")
def accounts(shared_config: SandboxConfig) -> dict[str, str]:
    return {m.key: merchant_account_id(shared_config, m.key) for m in MERCHANTS}


@pytest.fixture(scope="session")
def shared_url(shared_config: SandboxConfig) -> Iterator[str]:
    with serve_in_thread(create_app(shared_config)) as url:
        yield url


@pytest.fixture
def api(shared_url: str, shared_config: SandboxConfig) -> Iterator[httpx.Client]:
    """A plain HTTP client authenticated with the platform key."""
    headers = {"Authorization": f"Bearer {shared_config.secret_key}"}
    with httpx.Client(base_url=shared_url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def fresh_config(tmp_path: Path) -> SandboxConfig:
    """A private sandbox (nothing generated yet) for tests that change state."""
    return SandboxConfig(
        db_path=str(tmp_path / "sandbox.db"), start=START, redirect_uris=(REDIRECT,)
    )
