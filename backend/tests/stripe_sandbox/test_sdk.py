"""The official stripe SDK (v16) works against the sandbox unchanged, but for base addresses."""

import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe

from stripe_sandbox import SandboxConfig, create_app, totals
from tests.servers import serve_in_thread
from tests.stripe_sandbox.conftest import REDIRECT


def sdk(url: str, key: str) -> stripe.StripeClient:
    return stripe.StripeClient(
        key, base_addresses={"api": url, "connect": url}, client_id="ca_vaultra_sandbox"
    )


@pytest.fixture
def client(shared_url: str, shared_config: SandboxConfig) -> stripe.StripeClient:
    return sdk(shared_url, shared_config.secret_key)


def test_auto_pagination_lists_everything(
    client: stripe.StripeClient, accounts: dict[str, str], shared_config: SandboxConfig
) -> None:
    account = accounts["new_store"]
    options: stripe.RequestOptions = {"stripe_account": account}
    first = client.v1.charges.list(params={"limit": 100}, options=options)
    assert len(first.data) == 100
    assert first.has_more
    ids = [charge.id for charge in first.auto_paging_iter()]
    assert len(ids) == len(set(ids)) == totals(shared_config, account)["charge"]["count"]
    disputes = client.v1.disputes.list(
        params={"limit": 5}, options={"stripe_account": accounts["high_dispute"]}
    ).data
    assert disputes
    assert all(isinstance(d.charge, str) and d.charge.startswith("ch_") for d in disputes)


def test_retrieve_and_expand(client: stripe.StripeClient, accounts: dict[str, str]) -> None:
    options: stripe.RequestOptions = {"stripe_account": accounts["seasonal_retail"]}
    charge = client.v1.charges.list(params={"limit": 1}, options=options).data[0]
    again = client.v1.charges.retrieve(
        charge.id, params={"expand": ["customer", "balance_transaction"]}, options=options
    )
    assert again.id == charge.id
    assert isinstance(again.customer, stripe.Customer)
    assert isinstance(again.balance_transaction, stripe.BalanceTransaction)
    assert again.balance_transaction.source == charge.id
    window = client.v1.balance_transactions.list(
        params={"created": {"gte": charge.created - 3600, "lte": charge.created}, "limit": 100},
        options=options,
    )
    assert any(t.source == charge.id for t in window.data)
    account = client.v1.accounts.retrieve_current(options=options)
    assert account.id == accounts["seasonal_retail"]
    assert account.business_profile
    events = client.v1.events.list(options=options)
    assert events.data == []  # nothing happened since the history was generated
    subs = client.v1.subscriptions.list(
        params={"status": "all"}, options={"stripe_account": accounts["healthy_saas"]}
    )
    assert subs.data
    assert subs.data[0].items.data[0].price.unit_amount


def test_errors_map_to_sdk_exceptions(
    client: stripe.StripeClient, shared_url: str, accounts: dict[str, str]
) -> None:
    options: stripe.RequestOptions = {"stripe_account": accounts["new_store"]}
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.charges.retrieve("ch_missing", options=options)
    assert missing.value.code == "resource_missing"
    assert missing.value.http_status == 404
    with pytest.raises(stripe.AuthenticationError):
        sdk(shared_url, "sk_test_wrong").v1.charges.list(options=options)
    with pytest.raises(stripe.PermissionError):
        client.v1.charges.list(options={"stripe_account": "acct_1Unknown"})


@pytest.fixture
def private(fresh_config: SandboxConfig) -> Iterator[str]:
    with serve_in_thread(create_app(fresh_config)) as url:
        yield url


def test_oauth_through_the_sdk(private: str, fresh_config: SandboxConfig) -> None:
    client = sdk(private, fresh_config.secret_key)
    url = client.oauth.authorize_url(
        params={"scope": "read_write", "state": "abc", "redirect_uri": REDIRECT}
    )
    assert url.startswith(f"{private}/oauth/authorize?")
    page = httpx.get(url).text
    link = html.unescape(re.search(r'id="declining" href="([^"]+)"', page)[1])  # type: ignore[index]
    location = httpx.get(f"{private}{link}").headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]

    token = client.oauth.token(params={"grant_type": "authorization_code", "code": code})
    account = token["stripe_user_id"]
    payouts = client.v1.payouts.list(options={"stripe_account": account})
    assert payouts.data
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        client.oauth.token(params={"grant_type": "authorization_code", "code": code})

    result = client.oauth.deauthorize(params={"stripe_user_id": account})
    assert result["stripe_user_id"] == account
    with pytest.raises(stripe.PermissionError):
        client.v1.payouts.list(options={"stripe_account": account})
