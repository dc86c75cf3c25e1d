"""Metrics and readiness endpoints: success, validation errors and business scoping."""

import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from app.core.db import Database, utcnow
from app.metrics import service as metrics_service
from app.users import service as users_service
from app.users.models import Business
from tests.conftest import Account
from tests.metrics.conftest import StripeData

API = "/api/v1"


async def seed(db: Database, business_id: str, days: int = 200) -> Business:
    """One $120 charge a day for `days` days up to yesterday, then metrics and a score."""
    today = utcnow().date()
    data = StripeData(uuid.UUID(business_id))
    for offset in range(1, days + 1):
        data.charge(today - timedelta(days=offset), 12_000, customer=f"cus_{offset % 40}")
    data.payout(today - timedelta(days=3), 100_000)
    await data.save(db)
    async with db.session() as session:
        business = await users_service.get_business(session, uuid.UUID(business_id))
        assert business is not None
        await metrics_service.compute_metrics(session, business)
        await metrics_service.compute_readiness(session, business)
        return business


async def founder(make_account: Any) -> tuple[Account, dict[str, Any]]:
    account: Account = await make_account()
    return account, await account.create_business("Shop")


async def test_metrics_and_readiness(make_account, client: httpx.AsyncClient, db) -> None:
    account, business = await founder(make_account)
    params = {"business_id": business["id"]}

    response = await client.get(f"{API}/metrics", params=params, headers=account.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "metrics_not_computed"
    response = await client.get(f"{API}/readiness", params=params, headers=account.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "readiness_not_computed"
    # Not connected: waiting would not help, so the founder is told to connect Stripe.
    assert response.json()["detail"].startswith("Connect your Stripe account")

    await seed(db, business["id"])
    response = await client.get(f"{API}/metrics", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["currency"] == "usd"
    assert body["revenue_total"]["30d"]["value"] == 29 * 12_000  # nothing yet today
    assert body["revenue_total"]["30d"]["metric"] == "revenue_30d"
    assert body["volatility"]["monthly_cv"]["unit"] == "cv"
    assert body["chargeback_ratio"]["visa_month"]["value"] == 0
    assert body["metrics"]["days_of_history"]["value"] == 201
    assert body["computed_at"]

    response = await client.get(f"{API}/readiness", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    readiness = response.json()
    assert 0 <= readiness["score"] <= 100
    assert readiness["tier"] in {"not_ready", "emerging", "ready", "strong"}
    assert set(readiness["components"]) >= {"history", "disputes", "concentration"}
    assert readiness["funding_options"]
    # One score from a moment ago: no score trend yet, and the revenue trend is separate.
    assert readiness["score_trend"]["direction"] == "insufficient_history"
    assert "trend" not in readiness
    assert readiness["revenue_trend"]["direction"] in {"growing", "flat", "declining"}
    assert readiness["stored"] is True

    response = await client.get(
        f"{API}/readiness/history", params={**params, "limit": 5}, headers=account.headers
    )
    assert response.status_code == 200
    scores = response.json()["scores"]
    assert [s["score"] for s in scores] == [readiness["score"]]

    response = await client.get(
        f"{API}/readiness/history", params={**params, "limit": 0}, headers=account.headers
    )
    assert response.status_code == 400


async def test_readiness_computed_on_demand(make_account, client: httpx.AsyncClient, db) -> None:
    account, business = await founder(make_account)
    data = StripeData(uuid.UUID(business["id"]))
    data.charge(utcnow().date(), 5_000)
    await data.save(db)
    async with db.session() as session:
        found = await users_service.get_business(session, uuid.UUID(business["id"]))
        assert found is not None
        await metrics_service.compute_metrics(session, found)
    response = await client.get(
        f"{API}/readiness", params={"business_id": business["id"]}, headers=account.headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["stored"] is False
    assert body["tier"] == "insufficient_data"


async def test_metric_history(make_account, client: httpx.AsyncClient, db) -> None:
    account, business = await founder(make_account)
    await seed(db, business["id"], days=60)
    today = utcnow().date()
    params: dict[str, Any] = {
        "business_id": business["id"],
        "start_date": (today - timedelta(days=6)).isoformat(),
        "end_date": today.isoformat(),
    }
    response = await client.get(f"{API}/metrics/history", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    points = response.json()["metrics"]
    assert len(points) == 7
    assert [p["gross_volume"] for p in points] == [12_000] * 6 + [0]
    assert points[0]["unique_customers"] == 1

    monthly = {**params, "granularity": "month", "start_date": today - timedelta(days=60)}
    response = await client.get(f"{API}/metrics/history", params=monthly, headers=account.headers)
    assert response.status_code == 200
    months = response.json()["metrics"]
    assert sum(p["gross_volume"] for p in months) == 60 * 12_000
    assert all(p["unique_customers"] is None for p in months)
    assert date.fromisoformat(months[0]["period_start"]).day == 1

    weekly = {**params, "granularity": "week"}
    response = await client.get(f"{API}/metrics/history", params=weekly, headers=account.headers)
    assert response.status_code == 200
    assert date.fromisoformat(response.json()["metrics"][0]["period_start"]).weekday() == 0

    bad = [
        (
            {"start_date": today.isoformat(), "end_date": (today - timedelta(days=1)).isoformat()},
            "invalid_date_range",
        ),
        ({"granularity": "year"}, "validation_error"),
        ({"start_date": "not-a-date"}, "validation_error"),
        ({"start_date": (today - timedelta(days=400)).isoformat()}, "date_range_too_large"),
        # Each used to overflow the calendar (a 500): the default start a year before the end,
        # and the period after the last one.
        ({"end_date": "0001-01-05"}, "date_out_of_range"),
        ({"start_date": "9999-12-30", "end_date": "9999-12-31"}, "date_out_of_range"),
        (
            {"start_date": "9999-11-01", "end_date": "9999-12-31", "granularity": "month"},
            "date_out_of_range",
        ),
    ]
    for extra, code in bad:
        response = await client.get(
            f"{API}/metrics/history", params={**params, **extra}, headers=account.headers
        )
        assert response.status_code == 400, extra
        assert response.json()["code"] == code, extra

    too_large = {"start_date": (today - timedelta(days=400)).isoformat()}
    response = await client.get(
        f"{API}/metrics/history", params={**params, **too_large}, headers=account.headers
    )
    assert response.json()["detail"] == (
        "At most 366 days of history per request with granularity=day."
    )
    edges = {"start_date": "1970-01-01", "end_date": "1970-12-31", "granularity": "month"}
    response = await client.get(
        f"{API}/metrics/history", params={**params, **edges}, headers=account.headers
    )
    assert response.status_code == 200, response.text


async def test_metric_history_starts_at_the_first_activity(
    make_account, client: httpx.AsyncClient, db
) -> None:
    """No empty periods before the first activity (here a payout), at every granularity, even
    when asked for an earlier start; each period says what its largest customer paid."""
    account, business = await founder(make_account)
    params: dict[str, Any] = {"business_id": business["id"]}
    url = f"{API}/metrics/history"
    for granularity in ("day", "week", "month"):
        response = await client.get(
            url, params={**params, "granularity": granularity}, headers=account.headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["metrics"] == []

    today = utcnow().date()
    first, busy = today - timedelta(days=40), today - timedelta(days=2)
    data = StripeData(uuid.UUID(business["id"]))
    data.payout(first, 50_000)
    data.charge(busy, 30_000, customer="cus_big")
    data.charge(busy, 20_000, customer="cus_big")
    data.charge(busy, 40_000, customer="cus_small")
    data.charge(busy, 90_000)  # a guest's: nobody's
    await data.save(db)
    async with db.session() as session:
        stored = await users_service.get_business(session, uuid.UUID(business["id"]))
        assert stored is not None
        await metrics_service.compute_metrics(session, stored)

    starts = {
        "day": first,
        "week": first - timedelta(days=first.weekday()),
        "month": first.replace(day=1),
    }
    for granularity, period in starts.items():
        for extra in ({}, {"start_date": (today - timedelta(days=300)).isoformat()}):
            response = await client.get(
                url, params={**params, "granularity": granularity, **extra}, headers=account.headers
            )
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["start_date"] == first.isoformat(), (granularity, extra)
            points = body["metrics"]
            assert points[0]["period_start"] == period.isoformat(), (granularity, extra)
            assert points[0]["payouts_paid_amount"] == 50_000
            assert points[-1]["period_end"] >= today.isoformat()
            [busiest] = [
                p for p in points if p["period_start"] <= busy.isoformat() <= p["period_end"]
            ]
            assert busiest["gross_volume"] == 180_000
            assert busiest["top_customer_volume"] == 50_000


async def test_simulate(make_account, client: httpx.AsyncClient, db) -> None:
    account, business = await founder(make_account)
    url = f"{API}/readiness/simulate"
    body: dict[str, Any] = {"business_id": business["id"], "overrides": {"growth_3m": 0.3}}
    response = await client.post(url, json=body, headers=account.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "readiness_not_computed"

    await seed(db, business["id"])
    base = (
        await client.get(
            f"{API}/readiness", params={"business_id": business["id"]}, headers=account.headers
        )
    ).json()
    body["overrides"] = {"top_customer_share": 0.02, "top5_customer_share": 0.05}
    response = await client.post(url, json=body, headers=account.headers)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["base_score"] == base["score"]
    assert result["impact"] == result["score"] - base["score"]
    assert result["impact"] >= 0
    assert result["overrides"] == {"top5_customer_share": 0.05, "top_customer_share": 0.02}

    history = await client.get(
        f"{API}/readiness/history", params={"business_id": business["id"]}, headers=account.headers
    )
    assert len(history.json()["scores"]) == 1  # nothing persisted

    cases = [
        ({"no_such_metric": 1}, "overrides.no_such_metric"),
        ({"dispute_ratio_visa_month": 1.5}, "overrides.dispute_ratio_visa_month"),
        ({"months_of_history": "many"}, "overrides.months_of_history"),
        # 401 digits: converting it to a float raised OverflowError, a 500.
        ({"revenue_365d": 10**400}, "overrides.revenue_365d"),
        ({"revenue_365d": 2**53}, "overrides.revenue_365d"),
        ({"unique_customers_365d": 2**31}, "overrides.unique_customers_365d"),
        ({"growth_3m": 1e300}, "overrides.growth_3m"),
        ({}, "overrides"),
    ]
    for overrides, field in cases:
        response = await client.post(
            url,
            json={"business_id": business["id"], "overrides": overrides},
            headers=account.headers,
        )
        assert response.status_code == 400, overrides
        error = response.json()
        assert error["code"] == "validation_error"
        assert [e["field"] for e in error["errors"]] == [field], overrides


async def test_every_endpoint_refuses_other_businesses(
    make_account, client: httpx.AsyncClient, db
) -> None:
    alice, _ = await founder(make_account)
    bob, business_b = await founder(make_account)
    await seed(db, business_b["id"], days=100)
    other = {"business_id": business_b["id"]}
    requests = [
        ("GET", f"{API}/metrics", other, None),
        ("GET", f"{API}/metrics/history", other, None),
        ("GET", f"{API}/readiness", other, None),
        ("GET", f"{API}/readiness/history", other, None),
        ("POST", f"{API}/readiness/simulate", None, {**other, "overrides": {"growth_3m": 0.1}}),
        ("GET", f"{API}/recommendations", other, None),
    ]
    for method, url, params, json in requests:
        response = await client.request(
            method, url, params=params, json=json, headers=alice.headers
        )
        assert response.status_code == 403, url
        assert response.json()["code"] == "business_forbidden"
        own = await client.request(method, url, params=params, json=json, headers=bob.headers)
        assert own.status_code in (200, 404), (url, own.text)
