"""Rate limiting (429 in Stripe's format), error storms and artificial latency."""

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


@pytest.mark.parametrize(
    ("status", "error_type", "code"),
    [
        (500, "api_error", None),
        (503, "api_error", None),
        (429, "invalid_request_error", "rate_limit"),
    ],
)
def test_an_error_storm_fails_requests_in_bursts_like_stripe(
    fresh_config: SandboxConfig, status: int, error_type: str, code: str | None
) -> None:
    config = replace(fresh_config, error_status=status, error_burst=2, error_period=5)
    account = connect_merchant(config, "new_store")
    headers = {"Authorization": f"Bearer {config.secret_key}", "Stripe-Account": account}
    with serve_in_thread(create_app(config)) as url, httpx.Client(base_url=url) as client:
        responses = [client.get("/v1/charges", headers=headers) for _ in range(10)]
        # OAuth is not part of the storm.
        assert client.post("/oauth/token").status_code == 401
    assert [r.status_code for r in responses] == [status, status, 200, 200, 200] * 2
    failed = responses[0]
    error = failed.json()["error"]
    assert (error["type"], error.get("code")) == (error_type, code)
    assert error["message"]
    assert failed.headers["stripe-should-retry"] == "true"
    assert "retry-after" not in failed.headers
    assert failed.headers["request-id"].startswith("req_")


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
    with pytest.raises(ValueError, match="error_status"):
        SandboxConfig(db_path="x.db", error_status=404)
    with pytest.raises(ValueError, match="error_burst"):
        SandboxConfig(db_path="x.db", error_status=500, error_burst=10, error_period=10)
