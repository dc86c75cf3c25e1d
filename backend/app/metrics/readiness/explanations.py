"""Sentences for people: each component's explanation quoting the business's own numbers,
its key figure as displayed, and the revenue trend in words.

Texts are part of the model's output: stored with each score, quoted by the agent and put in
the third person in lender reports (``app.reports.service``), so a wording change here shows
everywhere a score is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

from app.core.money import format_major, format_money
from app.core.text import format_percent, plural
from app.metrics.readiness.derived import (
    growth_comparison,
    is_seasonal,
    revenue_growth,
    worst_dispute_ratio,
)
from app.metrics.readiness.inputs import ReadinessInputs
from app.metrics.readiness.model import (
    COMPONENTS,
    CONSISTENCY_MIN_MONTHS,
    GROWTH_DECLINE_HURTS,
    GROWTH_MIN_MONTHS,
    GROWTH_YOY_MIN_MONTHS,
    LIGHTER_MIN_AVG_MONTHLY_REVENUE,
    MC_ECP_MONITORED_RATIO,
    PAYOUT_FAILURE_HURTS,
    RBF_MIN_MONTHLY_REVENUE,
    RBF_MIN_MONTHS_AT_LEVEL,
    REFUND_CONCERN_MIN,
    REFUND_HEALTHY_MAX,
    STRIPE_CAPITAL_MIN_ANNUAL_VOLUME,
    STRIPE_CAPITAL_MIN_MONTHS,
    SUSTAINED_DECLINE,
    TOP5_CUSTOMER_RISK,
    TOP_CUSTOMER_RISK,
    VAMP_EXCESSIVE_RATIO,
    VDMP_EARLY_WARNING_RATIO,
    Unit,
)


def explain_component(
    key: str, inputs: ReadinessInputs, currency: str, *, cap: int | None, present: bool
) -> str:
    """One or two sentences on component ``key``, then the cap it sets on the overall score
    (``cap``), or why it carries no weight yet (not ``present``)."""
    explanation = _EXPLAINERS[key](inputs, currency)
    if cap is not None:
        explanation += f" Until this improves, the overall score can't exceed {cap}."
    if not present:
        explanation += " Until then this component is neutral and carries no weight."
    return explanation


def explain_trend(inputs: ReadinessInputs) -> str:
    """The revenue trend in words: which comparison, and what it can't tell apart yet."""
    change = revenue_growth(inputs)
    comparison = growth_comparison(inputs)
    if change is None or comparison is None:
        return (
            f"A revenue trend needs {GROWTH_MIN_MONTHS} complete months of data "
            f"({_data_so_far(inputs.full_months)}); it will be known in "
            f"{plural(GROWTH_MIN_MONTHS - inputs.full_months, 'month')}."
        )
    return f"{_growth_sentence(inputs, change, comparison)}."


def display(metric: str, value: int | float | None, currency: str) -> str:
    """A component's key figure for people: ``"$42,000/month"``, ``"+14%"``, ``"270 days"``."""
    if value is None:
        return "not available yet"
    unit = _unit_of(metric)
    if unit == "money":
        return format_money(value, currency) + "/month"
    if unit == "ratio":
        return format_percent(value, signed="growth" in metric or "trend" in metric)
    if unit == "cv":
        return f"{value:.2f}"
    return plural(value, unit.removesuffix("s"))


def _unit_of(metric: str) -> Unit:
    if metric == "revenue_growth":
        return "ratio"
    return next(c.unit for s in COMPONENTS.values() for c in s.curves if c.metric == metric)


def _data_so_far(months: int) -> str:
    """``"1 complete month of data so far"``: what a window actually covers."""
    return f"{plural(months, 'complete month')} of data so far"


def _months_until(needed: int, have: int) -> str:
    return f"in {plural(max(1, needed - have), 'more complete month')}"


_COMPARISON_WORDS: Final[Mapping[str, str]] = {
    "year_over_year": "the last 3 complete months against the same 3 months a year earlier",
    "quarter_over_quarter": "the last 3 complete months against the 3 before",
    "month_over_month": "the last complete month against the month before",
}


def _growth_sentence(i: ReadinessInputs, change: float, comparison: str) -> str:
    text = (
        f"Revenue changed {format_percent(change, signed=True)} comparing "
        f"{_COMPARISON_WORDS[comparison]}"
    )
    if comparison == "year_over_year":
        if is_seasonal(i):
            text += " (your revenue is seasonal, so only the same months are compared)"
        return text
    return (
        f"{text}; with {_data_so_far(i.full_months)} this can't correct for seasons yet "
        f"(year over year needs {GROWTH_YOY_MIN_MONTHS} complete months: it will be known "
        f"{_months_until(GROWTH_YOY_MIN_MONTHS, i.full_months)})"
    )


def _trailing(days: int, i: ReadinessInputs) -> str:
    """``"in the last 90 days"``, or what the window really covers for a younger business."""
    if i.days_of_history >= days:
        return "in the last 12 months" if days == 365 else f"in the last {days} days"
    return f"in the {plural(i.days_of_history, 'day')} of data so far"


def _explain_history(i: ReadinessInputs, currency: str) -> str:
    return (
        f"Processing on Stripe for {plural(i.days_of_history, 'day')} "
        f"({plural(i.months_of_history, 'complete month')}) with "
        f"{format_money(i.revenue_365d, currency)} of net revenue {_trailing(365, i)}; "
        f"Stripe Capital (US) asks for at least {STRIPE_CAPITAL_MIN_MONTHS} months of "
        f"history and {format_major(STRIPE_CAPITAL_MIN_ANNUAL_VOLUME, currency)} a year."
    )


def _explain_revenue(i: ReadinessInputs, currency: str) -> str:
    level = format_major(RBF_MIN_MONTHLY_REVENUE, currency)
    if i.full_months >= 3:
        window = "averaged over the last 3 complete months"
    elif i.full_months > 0:
        window = f"averaged over {_data_so_far(i.full_months)}"
    else:
        window = "run rate, with no complete month of data yet"
    six = f"{i.months_above_10k_last_6} of the last 6 months"
    if i.full_months < 6:
        six += f" ({plural(min(i.full_months, 6), 'complete month')} of data)"
    return (
        f"{format_money(i.avg_monthly_revenue_3m, currency)}/month {window}, with {six} at or "
        f"above {level}; revenue-based lenders typically look for ≥ {level}/month for "
        f"{RBF_MIN_MONTHS_AT_LEVEL}+ months (Lighter Capital: ≥ "
        f"{format_major(LIGHTER_MIN_AVG_MONTHLY_REVENUE, currency)}/month over 3 months)."
    )


def _explain_consistency(i: ReadinessInputs, currency: str) -> str:
    if i.volatility_detrended_cv is None:
        return (
            f"Consistency needs {CONSISTENCY_MIN_MONTHS} complete months of revenue to measure "
            f"around a trend ({_data_so_far(i.full_months)}); it will be known "
            f"{_months_until(CONSISTENCY_MIN_MONTHS, i.full_months)}."
        )
    months = min(i.full_months, 12) if i.full_months else 12
    around = "its trend and its season" if is_seasonal(i) else "its trend"
    slow = i.low_volume_months_12m or "none"
    text = (
        f"Over the last {plural(months, 'complete month')}, monthly revenue varies around "
        f"{around} by {i.volatility_detrended_cv:.2f} of an average month (lenders prefer "
        f"0.15 or less), and {slow} of those months had low or zero volume"
    )
    trend = i.revenue_trend_12m
    if trend is not None and trend <= SUSTAINED_DECLINE:
        text += (
            f". Revenue is in a sustained decline ({format_percent(trend, signed=True)} over "
            "a year), which no smoothness offsets: a steady fall is a risk in its own right"
        )
    return text + "."


def _explain_growth(i: ReadinessInputs, currency: str) -> str:
    change = revenue_growth(i)
    comparison = growth_comparison(i)
    if change is None or comparison is None:
        return (
            f"Growth needs {GROWTH_MIN_MONTHS} complete months to compare "
            f"({_data_so_far(i.full_months)}); it will be known "
            f"{_months_until(GROWTH_MIN_MONTHS, i.full_months)}."
        )
    return (
        f"{_growth_sentence(i, change, comparison)}; lenders favour flat-to-growing revenue, "
        f"and a decline steeper than {format_percent(-GROWTH_DECLINE_HURTS)} hurts."
    )


def _explain_disputes(i: ReadinessInputs, currency: str) -> str:
    worst = worst_dispute_ratio(i)
    if worst is None:
        return (
            "No dispute ratio can be computed yet: it needs a complete month with successful "
            f"charges ({_data_so_far(i.full_months)}); it will be known after the next "
            "complete month with sales."
        )
    head = (
        f"Your worst recent dispute ratio is {format_percent(worst)} with "
        f"{plural(i.disputes_count_3m, 'dispute')} in the last 3 months"
    )
    if i.full_months < 3:
        head += f" ({_data_so_far(i.full_months)})"
    return (
        f"{head}; Visa's early warning starts at {format_percent(VDMP_EARLY_WARNING_RATIO)}, "
        f"Mastercard monitors above {format_percent(MC_ECP_MONITORED_RATIO)} and Visa VAMP "
        f"treats {format_percent(VAMP_EXCESSIVE_RATIO)} as excessive from April 2026."
    )


def _explain_refunds(i: ReadinessInputs, currency: str) -> str:
    if i.refund_rate_amount is None:
        return (
            "No refund rate can be computed: there were no successful charges in the last "
            "90 days; it will be known after the next sale."
        )
    head = f"{format_percent(i.refund_rate_amount)} of sales by amount were refunded"
    if i.refund_rate_count is not None:
        head += f" ({format_percent(i.refund_rate_count)} of charges)"
    head += f" {_trailing(90, i)}"
    return (
        f"{head}; under {format_percent(REFUND_HEALTHY_MAX)} is healthy and above "
        f"{format_percent(REFUND_CONCERN_MIN)} worries lenders."
    )


def _explain_payouts(i: ReadinessInputs, currency: str) -> str:
    if i.payout_failure_rate_90d is None:
        return (
            "No payouts in the last 90 days to measure; payout reliability will be known "
            "after the next payout."
        )
    if i.payout_failure_rate_90d == 0:
        head = f"None of your {plural(i.payouts_count_90d, 'payout')} {_trailing(90, i)} failed"
    else:
        head = (
            f"{format_percent(i.payout_failure_rate_90d)} of your "
            f"{plural(i.payouts_count_90d, 'payout')} {_trailing(90, i)} failed"
        )
    delay = i.payout_avg_arrival_delay_days
    if delay is not None:
        head += f", arriving {delay:.1f} days late on average" if delay > 0 else ", on time"
    return (
        f"{head}; lenders that repay from payouts want them to land reliably "
        f"(a failure rate above {format_percent(PAYOUT_FAILURE_HURTS)} hurts)."
    )


def _explain_concentration(i: ReadinessInputs, currency: str) -> str:
    if i.top_customer_share is None:
        return (
            "Customer concentration can't be measured yet: no charges in the last 12 complete "
            "months; it will be known at the end of the first complete month with sales."
        )
    window = "the last 12 months" if i.full_months >= 12 else _data_so_far(i.full_months)
    head = (
        f"Your largest customer brought {format_percent(i.top_customer_share)} of revenue "
        f"over {window}"
    )
    if i.top5_customer_share is not None:
        head += f" and your top 5 brought {format_percent(i.top5_customer_share)}"
    head += f", across {plural(i.unique_customers_365d, 'customer')}"
    return (
        f"{head}; one customer above {format_percent(TOP_CUSTOMER_RISK)} or a top 5 above "
        f"{format_percent(TOP5_CUSTOMER_RISK)} is a concentration risk for lenders."
    )


_EXPLAINERS: Final[Mapping[str, Callable[[ReadinessInputs, str], str]]] = {
    "history": _explain_history,
    "revenue": _explain_revenue,
    "consistency": _explain_consistency,
    "growth": _explain_growth,
    "disputes": _explain_disputes,
    "refunds": _explain_refunds,
    "payouts": _explain_payouts,
    "concentration": _explain_concentration,
}
