"""Stripe API access: the official SDK, a per-account rate limiter, and retries on 429.

Connected accounts are read with the platform key and the `Stripe-Account` header; OAuth access
tokens are never kept. The SDK retries network errors and 5xx itself but not rate limiting, so
every request first takes a token from its account's bucket. Retries are Vaultra's, not the
SDK's (which would retry a 429 without telling the bucket): 429 always, with exponential backoff
and jitter; network errors and 5xx only for reads, which are safe to repeat.
"""

import asyncio
import logging
import random
import threading
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self, TypeVar, cast

import stripe

from app.stripe.config import StripeConfig

logger = logging.getLogger("vaultra.stripe")

T = TypeVar("T")

PAGE_SIZE = 100
MAX_RETRIES = 10
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 20.0
REQUEST_TIMEOUT_SECONDS = 60.0
PLATFORM = "platform"


class TokenBucket:
    """`rate` requests per second with bursts up to `capacity`; waiters queue up fairly.

    Thread-safe without awaiting under the lock, so one bucket serves every event loop of the
    process (the app, the jobs, a test's threads).
    """

    def __init__(self, rate: float, capacity: float | None = None) -> None:
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(1.0, rate / 5)
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._blocked_until = 0.0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take a token (possibly on credit); returns how long to wait before using it."""
        with self._lock:
            now = time.monotonic()
            start = max(now, self._blocked_until)
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1
            debt = -self._tokens / self.rate if self._tokens < 0 else 0.0
            return max(start - now, debt)

    def block(self, seconds: float) -> None:
        """Stripe said 429: every request of the account waits, not just the one refused."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, time.monotonic() + seconds)

    async def acquire(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)


_buckets: dict[tuple[str, str], TokenBucket] = {}
_buckets_lock = threading.Lock()


def bucket_for(api_base: str, account: str, rate: float) -> TokenBucket:
    with _buckets_lock:
        bucket = _buckets.get((api_base, account))
        if bucket is None or bucket.rate != rate:
            bucket = _buckets[(api_base, account)] = TokenBucket(rate)
        return bucket


def backoff_seconds(attempt: int, retry_after: str | None = None) -> float:
    """Exponential backoff with jitter (50-100% of the step), or Stripe's Retry-After."""
    if retry_after:
        try:
            return min(BACKOFF_MAX_SECONDS, max(0.0, float(retry_after)))
        except ValueError:
            pass
    step = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2.0**attempt)
    return step * (0.5 + random.random() / 2)  # noqa: S311


class StripeApi:
    """One SDK client over one HTTP connection pool; use `async with` to close it."""

    def __init__(self, config: StripeConfig) -> None:
        self.config = config
        self._http = stripe.HTTPXClient(timeout=REQUEST_TIMEOUT_SECONDS)
        self._client = stripe.StripeClient(
            config.secret_key,
            client_id=config.client_id,
            base_addresses={"api": config.api_base, "connect": config.connect_base},
            http_client=self._http,
            max_network_retries=0,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def list_page(
        self, account: str, resource: str, params: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page as plain JSON objects (newest first) and whether more follow."""
        # The raw response: building SDK objects for every page would cost more CPU than
        # everything else in a sync together, and only the plain JSON is projected anyway.
        response = await self._call(
            account,
            lambda: self._client.raw_request_async(
                "get", f"/v1/{resource}", stripe_account=account, **params
            ),
        )
        body = cast(dict[str, Any], response.data)
        return list(body["data"]), bool(body["has_more"])

    async def account_created(self, account: str) -> int:
        """When the connected account was created (unix time)."""
        result = await self._call(
            account,
            lambda: self._client.v1.accounts.retrieve_current_async(
                options={"stripe_account": account}
            ),
        )
        return int(result.created or 0)

    async def balance_transaction(self, account: str, transaction_id: str) -> dict[str, Any]:
        result = await self._call(
            account,
            lambda: self._client.v1.balance_transactions.retrieve_async(
                transaction_id, options={"stripe_account": account}
            ),
        )
        return _json(result)

    async def exchange_code(self, code: str) -> dict[str, Any]:
        """OAuth: trade the authorization code for the connected account's id (and no more)."""
        result = await self._call(
            PLATFORM,
            lambda: self._client.raw_request_async(
                "post",
                "/oauth/token",
                grant_type="authorization_code",
                code=code,
                base="connect",
            ),
            read=False,
        )
        return dict(cast(dict[str, Any], result.data))

    async def deauthorize(self, account: str) -> None:
        await self._call(
            account,
            lambda: self._client.raw_request_async(
                "post",
                "/oauth/deauthorize",
                client_id=self.config.client_id,
                stripe_user_id=account,
                base="connect",
            ),
            read=False,
        )

    async def _call(
        self, account: str, request: Callable[[], Awaitable[T]], *, read: bool = True
    ) -> T:
        bucket = bucket_for(self.config.api_base, account, self.config.max_rps)
        attempt = 0
        while True:
            await bucket.acquire()
            try:
                return await request()
            except stripe.RateLimitError as exc:
                if attempt >= MAX_RETRIES:
                    raise
                delay = backoff_seconds(attempt, (exc.headers or {}).get("retry-after"))
                logger.debug("stripe rate limited", extra={"account": account, "delay": delay})
                bucket.block(delay)
            except (stripe.APIConnectionError, stripe.APIError) as exc:
                status = exc.http_status or 0
                if not read or attempt >= MAX_RETRIES or 0 < status < 500:
                    raise
                delay = backoff_seconds(attempt)
                logger.warning("stripe request failed, retrying", extra={"status": status})
            attempt += 1
            await asyncio.sleep(delay)


def _json(result: stripe.StripeObject) -> dict[str, Any]:
    """The response's own JSON: plain dicts, cheaper to project than SDK objects."""
    response = result.last_response
    if response is None:
        raise stripe.APIError("Stripe returned no response body")
    return cast(dict[str, Any], response.data)
