"""Connect OAuth: authorize page, redirects, single-use codes, tokens, deauthorization."""

import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from stripe_sandbox import SandboxConfig, create_app, merchant_account_id
from stripe_sandbox.merchants import MERCHANTS
from tests.servers import serve_in_thread
from tests.stripe_sandbox.conftest import REDIRECT


@pytest.fixture
def sandbox(fresh_config: SandboxConfig) -> Iterator[httpx.Client]:
    with serve_in_thread(create_app(fresh_config)) as url, httpx.Client(base_url=url) as client:
        yield client


def authorize_params(config: SandboxConfig, state: str = "st4te") -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": config.client_id,
        "scope": "read_write",
        "state": state,
        "redirect_uri": REDIRECT,
    }


def links(page: str) -> dict[str, str]:
    return {m[0]: html.unescape(m[1]) for m in re.findall(r'id="(\w+)" href="([^"]+)"', page)}


def pick(client: httpx.Client, config: SandboxConfig, choice: str) -> dict[str, list[str]]:
    page = client.get("/oauth/authorize", params=authorize_params(config))
    assert page.status_code == 200
    redirect = client.get(links(page.text)[choice])
    assert redirect.status_code == 302
    location = redirect.headers["location"]
    assert location.startswith("https://vaultra.test/stripe/callback?from=test&")
    return parse_qs(urlsplit(location).query)


def exchange(client: httpx.Client, config: SandboxConfig, code: str) -> httpx.Response:
    return client.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code},
        headers={"Authorization": f"Bearer {config.secret_key}"},
    )


def test_authorize_page_offers_every_merchant_and_deny(
    sandbox: httpx.Client, fresh_config: SandboxConfig
) -> None:
    page = sandbox.get("/oauth/authorize", params=authorize_params(fresh_config)).text
    assert set(links(page)) == {m.key for m in MERCHANTS} | {"deny"}
    for merchant in MERCHANTS:
        assert html.escape(merchant.name) in page


def test_authorize_rejects_bad_requests(sandbox: httpx.Client, fresh_config: SandboxConfig) -> None:
    for bad in (
        {"client_id": "ca_other"},
        {"redirect_uri": "javascript:alert(1)"},
        {"scope": "god"},
    ):
        params = authorize_params(fresh_config) | bad
        assert sandbox.get("/oauth/authorize", params=params).status_code == 400


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://attacker.example/steal",
        "https://vaultra.test/stripe/callback",  # the registered one without its query
        REDIRECT + "&extra=1",
        REDIRECT.replace("https://", "http://"),
        "https://vaultra.test.attacker.example/stripe/callback?from=test",
        "//attacker.example/steal",
    ],
)
def test_codes_go_only_to_the_registered_redirect_uri(
    sandbox: httpx.Client, fresh_config: SandboxConfig, redirect_uri: str
) -> None:
    """The page, and the links it would offer (which anyone can forge), both refuse: an error
    page, no redirect, no code issued."""
    params = authorize_params(fresh_config) | {"redirect_uri": redirect_uri}
    page = sandbox.get("/oauth/authorize", params=params)
    assert page.status_code == 400
    assert "Invalid redirect URI" in page.text
    for action in ("choose", "deny"):
        forged = sandbox.get(
            f"/oauth/authorize/{action}", params=params | {"merchant": "new_store"}
        )
        assert forged.status_code == 400
        assert "location" not in forged.headers


def test_without_a_redirect_uri_codes_go_to_the_registered_one(
    sandbox: httpx.Client, fresh_config: SandboxConfig
) -> None:
    params = authorize_params(fresh_config)
    del params["redirect_uri"]
    choice = sandbox.get("/oauth/authorize/choose", params=params | {"merchant": "new_store"})
    assert choice.status_code == 302
    assert choice.headers["location"].startswith(REDIRECT + "&")


def test_deny_redirects_with_access_denied(
    sandbox: httpx.Client, fresh_config: SandboxConfig
) -> None:
    query = pick(sandbox, fresh_config, "deny")
    assert query["error"] == ["access_denied"]
    assert query["error_description"][0]
    assert query["state"] == ["st4te"]
    assert "code" not in query


def test_code_exchange_connects_and_codes_are_single_use(
    sandbox: httpx.Client, fresh_config: SandboxConfig
) -> None:
    query = pick(sandbox, fresh_config, "new_store")
    assert query["state"] == ["st4te"]
    assert query["scope"] == ["read_write"]
    code = query["code"][0]
    assert code.startswith("ac_")
    token = exchange(sandbox, fresh_config, code)
    assert token.status_code == 200
    body = token.json()
    assert set(body) == {
        "access_token", "livemode", "refresh_token", "scope", "stripe_publishable_key",
        "stripe_user_id", "token_type",
    }  # fmt: skip
    assert body["stripe_user_id"] == merchant_account_id(fresh_config, "new_store")
    assert body["livemode"] is False
    assert body["token_type"] == "bearer"
    assert body["scope"] == "read_write"
    assert body["access_token"].startswith("sk_test_")
    assert body["stripe_publishable_key"].startswith("pk_test_")

    again = exchange(sandbox, fresh_config, code)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    unknown = exchange(sandbox, fresh_config, "ac_madeup")
    assert unknown.status_code == 400
    assert unknown.json() == {
        "error": "invalid_grant",
        "error_description": "Authorization code does not exist: ac_madeup",
    }

    # The platform key with Stripe-Account, or the access token alone, reads the account.
    platform = {"Authorization": f"Bearer {fresh_config.secret_key}"}
    account = body["stripe_user_id"]
    as_platform = sandbox.get("/v1/account", headers=platform | {"Stripe-Account": account})
    as_token = sandbox.get(
        "/v1/account", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert as_platform.json()["id"] == as_token.json()["id"] == account
    assert as_platform.json()["type"] == "standard"


def test_token_needs_the_secret_key(sandbox: httpx.Client, fresh_config: SandboxConfig) -> None:
    code = pick(sandbox, fresh_config, "new_store")["code"][0]
    anonymous = sandbox.post(
        "/oauth/token", data={"grant_type": "authorization_code", "code": code}
    )
    assert anonymous.status_code == 401
    assert anonymous.json()["error"] == "invalid_client"
    wrong = sandbox.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "client_secret": "sk_test_x"},
    )
    assert wrong.status_code == 401
    by_form = sandbox.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "client_secret": fresh_config.secret_key,
        },
    )
    assert by_form.status_code == 200
    bad_grant = sandbox.post(
        "/oauth/token",
        data={"grant_type": "password", "client_secret": fresh_config.secret_key},
    )
    assert bad_grant.status_code == 400
    assert bad_grant.json()["error"] == "unsupported_grant_type"


def test_refresh_token_grant(sandbox: httpx.Client, fresh_config: SandboxConfig) -> None:
    code = pick(sandbox, fresh_config, "new_store")["code"][0]
    first = exchange(sandbox, fresh_config, code).json()
    refreshed = sandbox.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        headers={"Authorization": f"Bearer {fresh_config.secret_key}"},
    ).json()
    assert refreshed["stripe_user_id"] == first["stripe_user_id"]
    assert refreshed["access_token"] != first["access_token"]


def test_deauthorize_revokes_access(sandbox: httpx.Client, fresh_config: SandboxConfig) -> None:
    code = pick(sandbox, fresh_config, "new_store")["code"][0]
    token = exchange(sandbox, fresh_config, code).json()
    account = token["stripe_user_id"]
    platform = {"Authorization": f"Bearer {fresh_config.secret_key}"}
    assert sandbox.get("/v1/charges", headers=platform | {"Stripe-Account": account}).is_success

    form = {"client_id": fresh_config.client_id, "stripe_user_id": account}
    response = sandbox.post("/oauth/deauthorize", data=form, headers=platform)
    assert response.status_code == 200
    assert response.json() == {"stripe_user_id": account}

    revoked = sandbox.get("/v1/charges", headers=platform | {"Stripe-Account": account})
    assert revoked.status_code == 403
    assert revoked.json()["error"]["code"] == "account_invalid"
    old_token = sandbox.get(
        "/v1/account", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert old_token.status_code == 401
    twice = sandbox.post("/oauth/deauthorize", data=form, headers=platform)
    assert twice.status_code == 401
    assert twice.json()["error"] == "invalid_client"

    # Reconnecting restores access to the same (already generated) data.
    code = pick(sandbox, fresh_config, "new_store")["code"][0]
    assert exchange(sandbox, fresh_config, code).json()["stripe_user_id"] == account
    assert sandbox.get("/v1/charges", headers=platform | {"Stripe-Account": account}).is_success


def test_mounted_under_a_prefix(fresh_config: SandboxConfig) -> None:
    host = Starlette(routes=[Mount("/stripe-sandbox", create_app(fresh_config))])
    with serve_in_thread(host) as url, httpx.Client(base_url=url) as client:
        page = client.get("/stripe-sandbox/oauth/authorize", params=authorize_params(fresh_config))
        link = links(page.text)["new_store"]
        assert link.startswith("/stripe-sandbox/oauth/authorize/choose?")
        location = client.get(link).headers["location"]
        code = parse_qs(urlsplit(location).query)["code"][0]
        token = client.post(
            "/stripe-sandbox/oauth/token",
            data={"grant_type": "authorization_code", "code": code},
            headers={"Authorization": f"Bearer {fresh_config.secret_key}"},
        ).json()
        charges = client.get(
            "/stripe-sandbox/v1/charges",
            headers={
                "Authorization": f"Bearer {fresh_config.secret_key}",
                "Stripe-Account": token["stripe_user_id"],
            },
        ).json()
        assert charges["url"] == "/v1/charges"
        assert len(charges["data"]) == 10
