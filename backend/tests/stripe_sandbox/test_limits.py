"""Rate limiting (429 in Stripe's format) and artificial latency."""

import time
from dataclasses import replace

import httpx
import pytest
import stripe

from stripe_sandbox import SandboxConfig, connect_merchant, create_app
from tests.servers import serve_in_thread


def test_rate_limit_answers_429_like_stripe(fresh_config: SandboxConfig) -> None:
    config = replace(fresh_config, rate_limit=2)
    account = connect_merchant(config, "new_store")
    headers = {"Authorization": f"Bearer {config.secret_key}", "Stripe-Account": account}
    with serve_in_thread(create_app(config)) as url, httpx.Client(base_url=url) as client:
        responses = [client.get("/v1/charges", headers=headers) for _ in range(5)]
        statuses = [r.status_code for r in responses]
        assert statuses[:2] == [200, 200]
        assert 429 in statuses
        limited = next(r for r in responses if r.status_code == 429)
        error = limited.json()["error"]
        assert error["type"] == "invalid_request_error"
        assert error["code"] == "rate_limit"
        assert error["message"]
        assert limited.headers["stripe-should-retry"] == "true"
        assert int(limited.headers["retry-after"]) >= 1

        # Another key has its own bucket.
        other = {"Authorization": "Bearer sk_test_unknown", "Stripe-Account": account}
        assert client.get("/v1/charges", headers=other).status_code == 401

        time.sleep(0.6)  # the bucket refills at 2 tokens/s
        assert client.get("/v1/charges", headers=headers).status_code == 200

        sdk = stripe.StripeClient(
            config.secret_key,
            base_addresses={"api": url, "connect": url},
            max_network_retries=0,
        )
        time.sleep(1.1)  # a full bucket: two requests pass, the third is refused
        sdk.v1.charges.list(options={"stripe_account": account})
        sdk.v1.charges.list(options={"stripe_account": account})
        with pytest.raises(stripe.RateLimitError):
            sdk.v1.charges.list(options={"stripe_account": account})


def test_unlimited_by_default(fresh_config: SandboxConfig) -> None:
    account = connect_merchant(fresh_config, "new_store")
    headers = {"Authorization": f"Bearer {fresh_config.secret_key}", "Stripe-Account": account}
    with (
        serve_in_thread(create_app(fresh_config)) as url,
        httpx.Client(base_url=url, headers=headers) as client,
    ):
        assert all(client.get("/v1/payouts").status_code == 200 for _ in range(30))


def test_latency_is_added_to_each_request(fresh_config: SandboxConfig) -> None:
    config = replace(fresh_config, latency_ms=150)
    with serve_in_thread(create_app(config)) as url:
        started = time.perf_counter()
        httpx.get(f"{url}/v1/account", headers={"Authorization": f"Bearer {config.secret_key}"})
        assert time.perf_counter() - started >= 0.15


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="size"):
        SandboxConfig(db_path="x.db", size=10)
    with pytest.raises(ValueError, match="rate_limit"):
        SandboxConfig(db_path="x.db", rate_limit=0)
