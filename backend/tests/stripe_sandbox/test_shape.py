"""Every object the sandbox serves has the shape of Stripe's own fixture of its type.

Shape: every key of the fixture is present, with a value of the same JSON type, or null where
Stripe allows null. "Allows null" is read from the official SDK's type annotations (Optional[...]),
which are generated from the same OpenAPI spec as the fixtures.
"""

import json
import os
import typing
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from stripe import ListObject, StripeObject

from stripe_sandbox import SandboxConfig, advance, connect_merchant, create_app
from tests.servers import serve_in_thread

# Vendored with its licence and origin (stripe_fixtures/README.md), so any clone runs the suite.
FIXTURES = Path(
    os.environ.get("VAULTRA_STRIPE_FIXTURES")
    or Path(__file__).resolve().parent / "stripe_fixtures" / "fixtures3.json"
)
SDK_CLASSES: dict[str, type[StripeObject]] = {
    "account": stripe.Account,
    "balance_transaction": stripe.BalanceTransaction,
    "charge": stripe.Charge,
    "customer": stripe.Customer,
    "dispute": stripe.Dispute,
    "event": stripe.Event,
    "payout": stripe.Payout,
    "refund": stripe.Refund,
    "subscription": stripe.Subscription,
}


@pytest.fixture(scope="module")
def fixtures() -> dict[str, Any]:
    resources: dict[str, Any] = json.loads(FIXTURES.read_text())["resources"]
    return resources


def annotation(cls: type | None, key: str) -> Any:
    if cls is None:
        return None
    for klass in cls.__mro__:
        found = vars(klass).get("__annotations__", {}).get(key)
        if found is not None:
            return found
    return None


def is_nullable(ann: Any) -> bool:
    return type(None) in typing.get_args(ann)


def resolve(arg: Any) -> type | None:
    """A StripeObject class named by an annotation argument (forward refs via the stripe module)."""
    if isinstance(arg, typing.ForwardRef):
        arg = getattr(stripe, arg.__forward_arg__, None)
    elif isinstance(arg, str):
        arg = getattr(stripe, arg, None)
    return arg if isinstance(arg, type) and issubclass(arg, StripeObject) else None


def inner_class(ann: Any) -> tuple[type | None, type | None]:
    """(class of a dict value, class of list elements) described by an annotation."""
    stack, seen = [ann], []
    while stack:
        current = stack.pop()
        seen.append(current)
        stack.extend(typing.get_args(current))
    origin_list = any(typing.get_origin(a) in (list, ListObject) or a is ListObject for a in seen)
    classes = [c for c in map(resolve, seen) if c is not None and c is not ListObject]
    first = classes[0] if classes else None
    return (None if origin_list else first), (first if origin_list else None)


def check(ours: Any, fixture: dict[str, Any], cls: type | None, path: str) -> list[str]:
    problems: list[str] = []
    for key, expected in fixture.items():
        where = f"{path}.{key}"
        if key not in ours:
            problems.append(f"{where}: missing")
            continue
        value = ours[key]
        ann = annotation(cls, key)
        if expected is None:
            continue
        if value is None:
            if not is_nullable(ann):
                problems.append(f"{where}: null, but Stripe's type is {ann}")
            continue
        if isinstance(expected, bool):
            ok = isinstance(value, bool)
        elif isinstance(expected, (int, float)):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif isinstance(expected, str):
            ok = isinstance(value, str)
        elif isinstance(expected, list):
            ok = isinstance(value, list)
            _, element_cls = inner_class(ann)
            if ok and expected and value and isinstance(expected[0], dict):
                problems += check(value[0], expected[0], element_cls, f"{where}[0]")
        else:
            if isinstance(value, str) and "id" in expected:
                continue  # an expandable field, unexpanded: Stripe sends the id
            ok = isinstance(value, dict)
            dict_cls, element_cls = inner_class(ann)
            if ok and expected.get("object") == "list":
                problems += check(
                    value, {k: v for k, v in expected.items() if k != "data"}, None, where
                )
                if expected["data"] and value["data"]:
                    problems += check(
                        value["data"][0], expected["data"][0], element_cls, f"{where}.data[0]"
                    )
                continue
            if ok and not (path == "event" and key == "data"):
                problems += check(value, expected, dict_cls, where)
        if not ok:
            problems.append(
                f"{where}: {type(value).__name__}, fixture has {type(expected).__name__}"
            )
    return problems


def samples(api: httpx.Client, account: str, path: str, **params: Any) -> list[dict[str, Any]]:
    response = api.get(path, params={"limit": 100, **params}, headers={"Stripe-Account": account})
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    assert data, path
    return data


def assert_shape(obj: dict[str, Any], object_type: str, fixtures: dict[str, Any]) -> None:
    assert obj["object"] == object_type
    problems = check(obj, fixtures[object_type], SDK_CLASSES[object_type], object_type)
    assert not problems, "\n".join(problems)


LISTS = {
    "charge": "/v1/charges",
    "refund": "/v1/refunds",
    "dispute": "/v1/disputes",
    "payout": "/v1/payouts",
    "balance_transaction": "/v1/balance_transactions",
    "customer": "/v1/customers",
    "subscription": "/v1/subscriptions",
}


@pytest.mark.parametrize("object_type", sorted(LISTS))
def test_listed_objects_have_stripes_shape(
    api: httpx.Client, accounts: dict[str, str], fixtures: dict[str, Any], object_type: str
) -> None:
    seen = 0
    for key in ("healthy_saas", "seasonal_retail", "high_dispute", "declining"):
        params = {"status": "all"} if object_type == "subscription" else {}
        try:
            objs = samples(api, accounts[key], LISTS[object_type], **params)
        except AssertionError:
            continue  # e.g. retail merchants have no subscriptions
        for obj in objs:
            assert_shape(obj, object_type, fixtures)
            seen += 1
    assert seen


def test_nested_objects_have_stripes_shape(
    api: httpx.Client, accounts: dict[str, str], fixtures: dict[str, Any]
) -> None:
    account = accounts["high_dispute"]
    refunded = [
        c
        for c in samples(api, account, "/v1/charges", **{"created[lt]": 1770000000})
        if c["refunds"]["data"]
    ]
    for charge in refunded:
        assert_shape(charge["refunds"]["data"][0], "refund", fixtures)
    for dispute in samples(api, account, "/v1/disputes"):
        for txn in dispute["balance_transactions"]:
            assert_shape(txn, "balance_transaction", fixtures)


def test_account_has_stripes_shape(
    api: httpx.Client, accounts: dict[str, str], fixtures: dict[str, Any]
) -> None:
    for account in accounts.values():
        obj = api.get("/v1/account", headers={"Stripe-Account": account}).json()
        assert_shape(obj, "account", fixtures)
    assert_shape(api.get("/v1/account").json(), "account", fixtures)


async def test_events_have_stripes_shape(
    fresh_config: SandboxConfig, fixtures: dict[str, Any]
) -> None:
    account = connect_merchant(fresh_config, "high_dispute")
    await advance(fresh_config, 40)
    headers = {"Authorization": f"Bearer {fresh_config.secret_key}", "Stripe-Account": account}
    kinds: set[str] = set()
    with serve_in_thread(create_app(fresh_config)) as url:
        async with httpx.AsyncClient(base_url=url, headers=headers) as api:
            params: dict[str, Any] = {"limit": 100}
            while True:
                page = (await api.get("/v1/events", params=params)).json()
                for event in page["data"]:
                    assert_shape(event, "event", fixtures)
                    inner = event["data"]["object"]
                    assert_shape(inner, inner["object"], fixtures)
                    kinds.add(inner["object"])
                if not page["has_more"]:
                    break
                params["starting_after"] = page["data"][-1]["id"]
    assert {"charge", "refund", "dispute", "payout", "customer"} <= kinds
