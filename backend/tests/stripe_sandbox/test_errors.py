"""Authentication, Stripe-Account and lookup errors, in Stripe's shapes and status codes."""

import base64

import httpx
import pytest

from stripe_sandbox import SandboxConfig


def error_of(response: httpx.Response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["request-id"].startswith("req_")
    error: dict[str, str] = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    return error


def test_missing_key_is_401(shared_url: str, accounts: dict[str, str]) -> None:
    response = httpx.get(
        f"{shared_url}/v1/charges", headers={"Stripe-Account": accounts["new_store"]}
    )
    assert "You did not provide an API key" in error_of(response, 401)["message"]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer sk_test_not_the_sandbox_key", "Bearer pk_test_publishable", "Token abc", "Basic %%%"],
)
def test_wrong_key_is_401(shared_url: str, accounts: dict[str, str], authorization: str) -> None:
    headers = {"Authorization": authorization, "Stripe-Account": accounts["new_store"]}
    error = error_of(httpx.get(f"{shared_url}/v1/charges", headers=headers), 401)
    assert "not_the_sandbox_key" not in error["message"]  # keys are echoed redacted


def test_basic_auth_with_key_as_username(
    shared_url: str, shared_config: SandboxConfig, accounts: dict[str, str]
) -> None:
    token = base64.b64encode(f"{shared_config.secret_key}:".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Stripe-Account": accounts["new_store"]}
    response = httpx.get(f"{shared_url}/v1/charges", headers=headers)
    assert response.status_code == 200


def test_object_reads_need_stripe_account(api: httpx.Client) -> None:
    error = error_of(api.get("/v1/charges"), 400)
    assert error["param"] == "Stripe-Account"


def test_account_without_header_is_the_platform(
    api: httpx.Client, accounts: dict[str, str]
) -> None:
    platform = api.get("/v1/account").json()
    assert platform["object"] == "account"
    assert platform["id"] not in accounts.values()


def test_unknown_account_is_403_account_invalid(api: httpx.Client) -> None:
    response = api.get("/v1/charges", headers={"Stripe-Account": "acct_1NotConnectedHere"})
    error = error_of(response, 403)
    assert error["code"] == "account_invalid"
    assert "acct_1NotConnectedHere" in error["message"]


def test_unknown_id_is_404_resource_missing(api: httpx.Client, accounts: dict[str, str]) -> None:
    headers = {"Stripe-Account": accounts["new_store"]}
    error = error_of(api.get("/v1/charges/ch_doesnotexist", headers=headers), 404)
    assert error["code"] == "resource_missing"
    assert error["param"] == "id"
    assert error["message"] == "No such charge: 'ch_doesnotexist'"


def test_id_of_another_type_or_account_is_404(api: httpx.Client, accounts: dict[str, str]) -> None:
    mine = {"Stripe-Account": accounts["new_store"]}
    theirs = {"Stripe-Account": accounts["healthy_saas"]}
    charge_id = api.get("/v1/charges", headers=mine).json()["data"][0]["id"]
    assert api.get(f"/v1/charges/{charge_id}", headers=mine).status_code == 200
    assert api.get(f"/v1/refunds/{charge_id}", headers=mine).status_code == 404
    assert api.get(f"/v1/charges/{charge_id}", headers=theirs).status_code == 404


def test_unknown_urls_and_methods(api: httpx.Client, accounts: dict[str, str]) -> None:
    headers = {"Stripe-Account": accounts["new_store"]}
    assert (
        "Unrecognized request URL"
        in error_of(api.get("/v1/widgets", headers=headers), 404)["message"]
    )
    assert error_of(api.post("/v1/charges", headers=headers), 404)["message"].startswith(
        "Unrecognized request URL (POST: /v1/charges)"
    )


def test_retrieve_rejects_list_parameters(api: httpx.Client, accounts: dict[str, str]) -> None:
    headers = {"Stripe-Account": accounts["new_store"]}
    charge_id = api.get("/v1/charges", headers=headers).json()["data"][0]["id"]
    response = api.get(f"/v1/charges/{charge_id}", params={"limit": 3}, headers=headers)
    assert error_of(response, 400)["code"] == "parameter_unknown"
