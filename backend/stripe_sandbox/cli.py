"""Plain functions behind `vaultra sandbox ...` (the typer wiring lives in app/cli.py)."""

import anyio
import uvicorn

from stripe_sandbox.app import create_app
from stripe_sandbox.clock import AdvanceResult, DisputeResult, advance, dispute
from stripe_sandbox.config import SandboxConfig
from stripe_sandbox.generate import generate


def serve(config: SandboxConfig, host: str = "127.0.0.1", port: int = 12111) -> None:
    """Run the sandbox over HTTP until interrupted."""
    uvicorn.run(create_app(config), host=host, port=port, log_level="info")


def advance_clock(config: SandboxConfig, days: float) -> AdvanceResult:
    """Synchronous `advance`, for a CLI process next to a running server."""
    return anyio.run(advance, config, days)


def open_disputes(
    config: SandboxConfig, merchant: str, count: int, last_month: bool = False
) -> DisputeResult:
    """Synchronous `dispute`, for a CLI process next to a running server."""
    return anyio.run(lambda: dispute(config, merchant, count, last_month=last_month))


def generate_merchants(config: SandboxConfig, merchants: list[str] | None = None) -> dict[str, str]:
    """Generate merchants up front (large sizes take a while); returns {key: acct_ id}."""
    return generate(config, merchants)
