"""The sample merchants have the character their names promise."""

import json
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest

from stripe_sandbox import MERCHANTS, SandboxConfig, totals
from stripe_sandbox.store import connect

Month = tuple[int, int]
DISPUTE_REASONS = {
    "fraudulent", "product_not_received", "product_unacceptable", "subscription_canceled",
    "duplicate", "credit_not_processed", "unrecognized", "general",
}  # fmt: skip
DISPUTE_STATUSES = {
    "warning_needs_response", "warning_under_review", "warning_closed", "needs_response",
    "under_review", "won", "lost",
}  # fmt: skip


def objects(config: SandboxConfig, account: str, obj_type: str) -> list[dict[str, Any]]:
    conn = connect(config.db_path)
    try:
        rows = conn.execute(
            "SELECT data FROM objects WHERE account = ? AND type = ?", (account, obj_type)
        ).fetchall()
    finally:
        conn.close()
    return [json.loads(r[0]) for r in rows]


def month(ts: int) -> Month:
    day = datetime.fromtimestamp(ts, UTC)
    return day.year, day.month


def full_months(charges: list[dict[str, Any]]) -> list[Month]:
    """Calendar months fully inside the history (the first and current ones are partial)."""
    return sorted({month(c["created"]) for c in charges})[1:-1]


def monthly_revenue(charges: list[dict[str, Any]]) -> list[int]:
    revenue: dict[Month, int] = defaultdict(int)
    for charge in charges:
        if charge["status"] == "succeeded":
            revenue[month(charge["created"])] += charge["amount"]
    return [revenue[m] for m in full_months(charges)]


def trend(values: list[int]) -> float:
    """Least-squares slope per month, relative to the mean."""
    slope = statistics.linear_regression(range(len(values)), values).slope
    return slope / statistics.mean(values)


def test_sizes_are_exact_and_histories_have_the_promised_length(
    shared_config: SandboxConfig, accounts: dict[str, str]
) -> None:
    assert shared_config.start is not None
    now = shared_config.start.timestamp()
    conn = connect(shared_config.db_path)
    try:
        for merchant in MERCHANTS:
            count, first = conn.execute(
                "SELECT count(*), min(created) FROM objects WHERE account = ? AND type = 'charge'",
                (accounts[merchant.key],),
            ).fetchone()
            assert count == merchant.default_size
            assert merchant.history_days - 2 <= (now - first) / 86400 <= merchant.history_days
    finally:
        conn.close()
    assert next(m for m in MERCHANTS if m.key == "new_store").history_days == 42


def test_high_dispute_monthly_ratio_above_one_percent(
    shared_config: SandboxConfig, accounts: dict[str, str]
) -> None:
    charges = objects(shared_config, accounts["high_dispute"], "charge")
    disputes = objects(shared_config, accounts["high_dispute"], "dispute")
    succeeded = Counter(month(c["created"]) for c in charges if c["status"] == "succeeded")
    opened = Counter(month(d["created"]) for d in disputes)
    # Disputes arrive 1-3 weeks after the charge: the first full month has none yet.
    for m in full_months(charges)[1:]:
        assert 0.01 < opened[m] / succeeded[m] < 0.05, m


def test_healthy_saas_grows_with_few_disputes_and_refunds(
    shared_config: SandboxConfig, accounts: dict[str, str]
) -> None:
    account = accounts["healthy_saas"]
    charges = objects(shared_config, account, "charge")
    assert trend(monthly_revenue(charges)) > 0.01
    succeeded = sum(c["status"] == "succeeded" for c in charges)
    assert len(objects(shared_config, account, "dispute")) / succeeded < 0.003
    assert len(objects(shared_config, account, "refund")) / succeeded < 0.02
    subscriptions = objects(shared_config, account, "subscription")
    assert {s["status"] for s in subscriptions} == {"active", "canceled"}


def test_declining_falls_and_has_failed_payouts(
    shared_config: SandboxConfig, accounts: dict[str, str]
) -> None:
    account = accounts["declining"]
    revenue = monthly_revenue(objects(shared_config, account, "charge"))
    assert trend(revenue) < -0.02
    assert statistics.mean(revenue[-3:]) < 0.6 * statistics.mean(revenue[:3])
    payouts = objects(shared_config, account, "payout")
    failed = [p for p in payouts if p["status"] == "failed"]
    assert len(failed) >= 3
    for payout in failed:
        assert payout["failure_code"] in {
            "account_closed", "insufficient_funds", "no_account", "account_frozen",
            "could_not_process",
        }  # fmt: skip
        assert payout["failure_message"]
        assert payout["failure_balance_transaction"]
    weekdays = {datetime.fromtimestamp(p["created"], UTC).weekday() for p in payouts}
    assert weekdays == {0}  # weekly schedule, Mondays


def test_seasonal_retail_peaks_in_q4(
    shared_config: SandboxConfig, accounts: dict[str, str]
) -> None:
    charges = objects(shared_config, accounts["seasonal_retail"], "charge")
    revenue: dict[int, list[int]] = defaultdict(list)
    by_month: dict[Month, int] = defaultdict(int)
    for charge in charges:
        if charge["status"] == "succeeded":
            by_month[month(charge["created"])] += charge["amount"]
    for (_, m), amount in by_month.items():
        revenue[m].append(amount)
    q4 = statistics.mean(revenue[11] + revenue[12])
    summer = statistics.mean(revenue[6] + revenue[7] + revenue[8])
    assert q4 > 2.5 * summer


def test_second_currency_settles_into_usd(
    shared_config: SandboxConfig, accounts: dict[str, str]
) -> None:
    account = accounts["seasonal_retail"]
    charges = objects(shared_config, account, "charge")
    txns = {t["id"]: t for t in objects(shared_config, account, "balance_transaction")}
    eur = [c for c in charges if c["currency"] == "eur" and c["balance_transaction"]]
    assert 0.05 < len(eur) / len(charges) < 0.3
    for charge in eur[:50]:
        txn = txns[charge["balance_transaction"]]
        assert txn["currency"] == "usd"
        assert 1.0 < txn["exchange_rate"] < 1.2
        assert txn["amount"] == round(charge["amount"] * txn["exchange_rate"])
        assert txn["net"] == txn["amount"] - txn["fee"]


def test_objects_link_up(shared_config: SandboxConfig, accounts: dict[str, str]) -> None:
    account = accounts["high_dispute"]
    charges = {c["id"]: c for c in objects(shared_config, account, "charge")}
    customers = {c["id"] for c in objects(shared_config, account, "customer")}
    txns = {t["id"]: t for t in objects(shared_config, account, "balance_transaction")}
    for charge in charges.values():
        assert charge["customer"] in customers
        assert (charge["balance_transaction"] in txns) == (charge["status"] == "succeeded")
        details = charge["billing_details"]
        assert details["name"]
        assert "@" in details["email"]
        assert details["phone"]
        assert details["address"]["line1"]
        assert charge["metadata"]["order_note"] is not None
        card = charge["payment_method_details"]["card"]
        assert len(card["last4"]) == 4
        assert card["fingerprint"]
        assert card["brand"]
    for refund in objects(shared_config, account, "refund"):
        charge = charges[refund["charge"]]
        assert charge["amount_refunded"] == refund["amount"]
        assert charge["refunded"] == (refund["amount"] == charge["amount"])
        assert [r["id"] for r in charge["refunds"]["data"]] == [refund["id"]]
        assert txns[refund["balance_transaction"]]["type"] == "refund"
    disputes = objects(shared_config, account, "dispute")
    assert {d["reason"] for d in disputes} <= DISPUTE_REASONS
    assert len({d["reason"] for d in disputes}) >= 5
    assert {d["status"] for d in disputes} <= DISPUTE_STATUSES
    assert {"won", "lost"} <= {d["status"] for d in disputes}
    for dispute in disputes:
        assert charges[dispute["charge"]]["disputed"] is True
        assert dispute["evidence_details"]["due_by"] > dispute["created"]
        for txn in dispute["balance_transactions"]:
            assert txn["reporting_category"] in {"dispute", "dispute_reversal"}
    for payout in objects(shared_config, account, "payout"):
        assert payout["arrival_date"] > payout["created"]
        assert txns[payout["balance_transaction"]]["amount"] == -payout["amount"]


@pytest.mark.parametrize("key", [m.key for m in MERCHANTS])
def test_totals_match_the_stored_objects(
    shared_config: SandboxConfig, accounts: dict[str, str], key: str
) -> None:
    account = accounts[key]
    summary = totals(shared_config, account)
    charges = objects(shared_config, account, "charge")
    assert summary["charge"]["count"] == len(charges)
    assert summary["charge"]["amount"] == sum(c["amount"] for c in charges)
    assert summary["charge"]["by_status"]["succeeded"]["amount"] == sum(
        c["amount"] for c in charges if c["status"] == "succeeded"
    )
    assert summary["charge"]["amount_refunded"] == sum(c["amount_refunded"] for c in charges)
    txns = objects(shared_config, account, "balance_transaction")
    assert summary["balance_transaction"]["net"] == sum(t["net"] for t in txns)
    assert summary["balance_transaction"]["fee"] == sum(t["fee"] for t in txns)
    # Money is conserved: every cent that settled was paid out or is still in the balance.
    assert summary["balance_transaction"]["net"] >= 0
