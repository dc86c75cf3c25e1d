"""A local Stripe sandbox: the slice of Stripe's API (Connect OAuth, v1 reads, webhooks) that
Vaultra uses, serving deterministic sample merchants from its own SQLite file."""

from stripe_sandbox.app import create_app
from stripe_sandbox.clock import AdvanceResult, advance
from stripe_sandbox.config import SandboxConfig
from stripe_sandbox.generate import generate
from stripe_sandbox.merchants import MERCHANTS, merchant_account_id, sandbox_now
from stripe_sandbox.oauth import connect_merchant, create_authorization_code
from stripe_sandbox.store import totals

__all__ = [
    "MERCHANTS",
    "AdvanceResult",
    "SandboxConfig",
    "advance",
    "connect_merchant",
    "create_app",
    "create_authorization_code",
    "generate",
    "merchant_account_id",
    "sandbox_now",
    "totals",
]
