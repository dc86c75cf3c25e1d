"""Listing exactly as Stripe pages: newest first, cursors, has_more, created ranges, filters."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from stripe_sandbox import SandboxConfig, totals

RESOURCES = [
    "charges",
    "refunds",
    "disputes",
    "payouts",
    "balance_transactions",
    "customers",
    "subscriptions",
]


def get(api: httpx.Client, account: str, path: str, **params: Any) -> httpx.Response:
    return api.get(path, params=params, headers={"Stripe-Account": account})


def walk(api: httpx.Client, account: str, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every object, following starting_after like the SDK's auto-pagination."""
    out: list[dict[str, Any]] = []
    while True:
        page = get(api, account, path, limit=100, **params).json()
        assert page["object"] == "list"
        assert page["url"] == path
        out += page["data"]
        if not page["has_more"]:
            return out
        params["starting_after"] = page["data"][-1]["id"]


def order_key(obj: dict[str, Any]) -> tuple[int, str]:
    return obj["created"], obj["id"]


@pytest.mark.parametrize("resource", RESOURCES)
def test_walk_has_no_gaps_or_duplicates_and_is_newest_first(
    api: httpx.Client, accounts: dict[str, str], shared_config: SandboxConfig, resource: str
) -> None:
    account = accounts["seasonal_retail"]
    objects = walk(
        api,
        account,
        f"/v1/{resource}",
        **({"status": "all"} if resource == "subscriptions" else {}),
    )
    ids = [o["id"] for o in objects]
    assert len(ids) == len(set(ids))
    assert [order_key(o) for o in objects] == sorted(map(order_key, objects), reverse=True)
    object_type = objects[0]["object"] if objects else None
    if object_type is not None:
        assert len(objects) == totals(shared_config, account)[object_type]["count"]


def test_default_limit_is_ten_and_has_more(api: httpx.Client, accounts: dict[str, str]) -> None:
    page = get(api, accounts["healthy_saas"], "/v1/charges").json()
    assert len(page["data"]) == 10
    assert page["has_more"] is True
    assert set(page) == {"object", "data", "has_more", "url"}


def test_last_page_has_no_more(api: httpx.Client, accounts: dict[str, str]) -> None:
    everything = walk(api, accounts["new_store"], "/v1/payouts")
    oldest_but_two = everything[-3]["id"]
    page = get(api, accounts["new_store"], "/v1/payouts", starting_after=oldest_but_two).json()
    assert [o["id"] for o in page["data"]] == [o["id"] for o in everything[-2:]]
    assert page["has_more"] is False


def test_ending_before_walks_back_to_the_newest(
    api: httpx.Client, accounts: dict[str, str]
) -> None:
    account = accounts["new_store"]
    everything = walk(api, account, "/v1/charges")
    collected: list[dict[str, Any]] = []
    cursor = everything[-1]["id"]  # the oldest: walk towards newer objects
    while True:
        page = get(api, account, "/v1/charges", limit=7, ending_before=cursor).json()
        # Pages keep newest-first order inside, and are the objects right before the cursor.
        assert [order_key(o) for o in page["data"]] == sorted(
            map(order_key, page["data"]), reverse=True
        )
        collected = page["data"] + collected
        if not page["has_more"]:
            break
        cursor = page["data"][0]["id"]
    assert [o["id"] for o in collected] == [o["id"] for o in everything[:-1]]


def test_pages_tile_the_list_at_any_limit(api: httpx.Client, accounts: dict[str, str]) -> None:
    account = accounts["new_store"]
    everything = [o["id"] for o in walk(api, account, "/v1/charges")]
    for limit in (1, 3, 17, 100):
        seen: list[str] = []
        params: dict[str, Any] = {"limit": limit}
        while True:
            page = get(api, account, "/v1/charges", **params).json()
            assert len(page["data"]) <= limit
            seen += [o["id"] for o in page["data"]]
            if not page["has_more"]:
                break
            params["starting_after"] = seen[-1]
        assert seen == everything


def test_created_filters(api: httpx.Client, accounts: dict[str, str]) -> None:
    account = accounts["new_store"]
    everything = walk(api, account, "/v1/charges")
    pivot = everything[len(everything) // 2]["created"]
    expectations: dict[str, Callable[[int], bool]] = {
        "gt": lambda c: c > pivot,
        "gte": lambda c: c >= pivot,
        "lt": lambda c: c < pivot,
        "lte": lambda c: c <= pivot,
    }
    for op, keep in expectations.items():
        got = walk(api, account, "/v1/charges", **{f"created[{op}]": pivot})
        assert [o["id"] for o in got] == [o["id"] for o in everything if keep(o["created"])]
    exact = walk(api, account, "/v1/charges", created=pivot)
    assert exact
    assert all(o["created"] == pivot for o in exact)
    window = walk(
        api, account, "/v1/charges", **{"created[gte]": pivot - 86400, "created[lt]": pivot}
    )
    assert [o["id"] for o in window] == [
        o["id"] for o in everything if pivot - 86400 <= o["created"] < pivot
    ]


def test_equality_filters(api: httpx.Client, accounts: dict[str, str]) -> None:
    account = accounts["healthy_saas"]
    charge = get(api, account, "/v1/charges").json()["data"][0]
    mine = walk(api, account, "/v1/charges", customer=charge["customer"])
    assert charge["id"] in {c["id"] for c in mine}
    assert all(c["customer"] == charge["customer"] for c in mine)
    refunds = walk(api, account, "/v1/balance_transactions", type="refund")
    assert refunds
    assert all(t["type"] == "refund" for t in refunds)


def test_subscriptions_hide_canceled_unless_asked(
    api: httpx.Client, accounts: dict[str, str]
) -> None:
    account = accounts["declining"]
    default = walk(api, account, "/v1/subscriptions")
    everything = walk(api, account, "/v1/subscriptions", status="all")
    canceled = walk(api, account, "/v1/subscriptions", status="canceled")
    assert canceled
    assert all(s["status"] != "canceled" for s in default)
    assert len(default) + len(canceled) == len(everything)


def test_charge_refunds_sublist(api: httpx.Client, accounts: dict[str, str]) -> None:
    account = accounts["seasonal_retail"]
    refund = get(api, account, "/v1/refunds").json()["data"][0]
    page = get(api, account, f"/v1/charges/{refund['charge']}/refunds").json()
    assert [r["id"] for r in page["data"]] == [refund["id"]]
    assert page["url"] == f"/v1/charges/{refund['charge']}/refunds"


def test_expand_replaces_ids_with_objects(api: httpx.Client, accounts: dict[str, str]) -> None:
    account = accounts["seasonal_retail"]
    page = get(
        api,
        account,
        "/v1/refunds",
        **{"expand[]": ["data.charge", "data.balance_transaction"]},
    ).json()
    refund = page["data"][0]
    assert refund["charge"]["object"] == "charge"
    assert refund["balance_transaction"]["object"] == "balance_transaction"
    charge = get(
        api, account, f"/v1/charges/{refund['charge']['id']}", **{"expand[0]": "customer"}
    ).json()
    assert charge["customer"]["object"] == "customer"
    unexpandable = get(api, account, "/v1/charges", **{"expand[]": "data.nothing_here"})
    assert unexpandable.status_code == 200


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"created[gt]": "yesterday"}, "created[gt]"),
        ({"created[since]": 5}, "created[since]"),
        ({"colour": "blue"}, "colour"),
        ({"starting_after": "ch_a", "ending_before": "ch_b"}, "starting_after"),
    ],
)
def test_bad_parameters_are_400(
    api: httpx.Client, accounts: dict[str, str], params: dict[str, Any], param: str
) -> None:
    response = get(api, accounts["new_store"], "/v1/charges", **params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert error["message"]


def test_unknown_cursor_is_resource_missing(api: httpx.Client, accounts: dict[str, str]) -> None:
    response = get(api, accounts["new_store"], "/v1/charges", starting_after="ch_missing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "resource_missing"
    assert response.json()["error"]["param"] == "starting_after"


def test_ending_before_with_created_bounds(api: httpx.Client, accounts: dict[str, str]) -> None:
    account = accounts["new_store"]
    everything = walk(api, account, "/v1/charges")
    low = everything[len(everything) * 3 // 4]["created"]
    high = everything[len(everything) // 4]["created"]
    bounds = {"created[gt]": low, "created[lt]": high}
    for start in (everything[-1], everything[len(everything) // 2]):
        expected = [
            o["id"]
            for o in everything
            if low < o["created"] < high and order_key(o) > order_key(start)
        ]
        collected: list[str] = []
        cursor = start["id"]
        while True:
            page = get(api, account, "/v1/charges", limit=5, ending_before=cursor, **bounds).json()
            collected = [o["id"] for o in page["data"]] + collected
            if not page["has_more"]:
                break
            cursor = page["data"][0]["id"]
        assert collected == expected
