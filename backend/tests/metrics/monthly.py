"""Readiness inputs from a monthly revenue series, through the real snapshot calculations.

Each month becomes one daily rollup on its first day, so every month is a full history month;
everything else is healthy (no disputes, refunds or failed payouts, 500 customers), so a test
sees what the revenue shape alone does to the score.
"""

from collections.abc import Sequence
from datetime import date, timedelta

from app.metrics.calculations import add_months, compute_snapshot_metrics, month_start
from app.metrics.readiness.inputs import ReadinessInputs
from app.metrics.rollup import DayRollup
from app.stripe.ledger import CustomerFigures

AS_OF = date(2026, 12, 15)


def month_rollup(day: date, net: int, currency: str = "usd") -> DayRollup:
    charges = max(1, net // 5_000)
    return DayRollup(
        day=day,
        currency=currency,
        gross_volume=net,
        net_volume=net,
        charge_count=charges,
        failed_charge_count=0,
        unconverted_charge_count=0,
        unique_customers=charges,
        refund_amount=0,
        refund_count=0,
        dispute_count=0,
        dispute_amount=0,
        dispute_loss_amount=0,
        disputes_by_reason={},
        payouts_paid_count=4,
        payouts_paid_amount=net,
        payouts_failed_count=0,
        payouts_failed_amount=0,
        payout_arrival_days=0,
        payout_arrival_count=4,
    )


def inputs_for_months(
    values: Sequence[int], *, as_of: date = AS_OF, currency: str = "usd"
) -> ReadinessInputs:
    """``values``: net revenue of the complete months before ``as_of``'s month, oldest first."""
    current = month_start(as_of)
    first = add_months(current, -len(values))
    rollups = [
        month_rollup(add_months(first, index), value, currency)
        for index, value in enumerate(values)
    ]
    # The month in progress has sales too (days since its first day).
    rollups.append(month_rollup(current + timedelta(days=1), values[-1] // 2, currency))
    start, end = add_months(current, -min(12, len(values))), current - timedelta(days=1)
    total = sum(values[-12:])
    customers = CustomerFigures(
        start=start, end=end, top_amounts=(total // 50,) * 5, unique_customers=500
    )
    metrics = compute_snapshot_metrics(rollups, as_of=as_of, currency=currency, customers=customers)
    return ReadinessInputs.from_mapping({name: entry["value"] for name, entry in metrics.items()})
