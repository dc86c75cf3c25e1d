"""Webhook signing and delivery, exactly as Stripe signs (so the official SDK verifies them)."""

import hashlib
import hmac
import time
from collections.abc import Sequence
from dataclasses import dataclass

import anyio
import httpx

ATTEMPTS = 3
BACKOFF_S = 0.2


def sign(payload: str, secret: str) -> str:
    """The Stripe-Signature header: `t=<unix>,v1=<hex HMAC-SHA256 of "t.payload">`.

    The timestamp is real wall-clock time, not the sandbox clock: receivers reject signatures
    outside a tolerance window around their own clock.
    """
    t = int(time.time())
    mac = hmac.new(secret.encode(), f"{t}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int
    failed: int


async def deliver(url: str, secret: str, payloads: Sequence[str]) -> DeliveryReport:
    """POST each event in order; a non-2xx answer or a network error is retried ATTEMPTS times
    in all, with exponential backoff from BACKOFF_S (module globals, so tests can shorten it)."""
    delivered = failed = 0
    async with httpx.AsyncClient(timeout=10.0) as client:
        for payload in payloads:
            body = payload.encode()
            for attempt in range(ATTEMPTS):
                headers = {
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                    "Stripe-Signature": sign(payload, secret),
                }
                try:
                    response = await client.post(url, content=body, headers=headers)
                    ok = response.is_success
                except httpx.HTTPError:
                    ok = False
                if ok:
                    delivered += 1
                    break
                if attempt + 1 < ATTEMPTS:
                    await anyio.sleep(BACKOFF_S * 2**attempt)
            else:
                failed += 1
    return DeliveryReport(delivered, failed)
