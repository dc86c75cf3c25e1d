"""The recommendation rules, as data.

A rule fires when all its conditions hold over the business's *facts*: the metrics of the
latest snapshot (the `ReadinessInputs` fields and the extras such as
`fraud_dispute_share_90d`), derived values (`worst_dispute_ratio`, `revenue_decline_3m`) and
each component's score (`<component>_score`). Its body quotes those facts, formatted for
people. Its targets are the what-if overrides fed to the simulator to estimate the score
impact ("dispute ratio down to 0.5%"): a target never moves a metric the wrong way.

Severity is the fact a dismissed recommendation is watched on: it comes back when that fact
worsens by `MATERIAL_WORSENING` (relative), or after `DISMISS_FOR` in any case.
"""

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, Literal

from app.core.money import format_money, to_minor
from app.core.text import format_percent, plural
from app.metrics.readiness.model import (
    INSUFFICIENT_HISTORY_DAYS,
    PAYOUT_FAILURE_HURTS,
    RBF_MIN_MONTHLY_REVENUE,
    REFUND_CONCERN_MIN,
    REFUND_HEALTHY_MAX,
    STABLE_MONTHLY_CV,
    STRIPE_CAPITAL_MIN_MONTHS,
    TOP5_CUSTOMER_RISK,
    TOP_CUSTOMER_RISK,
    VDMP_EARLY_WARNING_RATIO,
    VDMP_STANDARD_RATIO,
)
from app.recommendations.models import Priority

MATERIAL_WORSENING: Final = 0.25
DISMISS_FOR: Final = timedelta(days=30)

Facts = Mapping[str, Any]
Op = Literal["<", "<=", ">", ">="]
_OPS: Final[Mapping[Op, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class Major:
    """An amount in major units of the business currency (thresholds are published that way)."""

    amount: float


Threshold = float | Major


def resolve(value: Threshold, currency: str) -> float:
    return to_minor(value.amount, currency) if isinstance(value, Major) else value


@dataclass(frozen=True)
class Cond:
    fact: str
    op: Op
    value: Threshold

    def holds(self, facts: Facts, currency: str) -> bool:
        current = facts.get(self.fact)
        return current is not None and _OPS[self.op](current, resolve(self.value, currency))


@dataclass(frozen=True)
class Target:
    """Override `metric` to `value` (or to its current value times `factor`), never worse."""

    metric: str
    better: Literal["lower", "higher"]
    value: Threshold | None = None
    factor: float | None = None

    def goal(self, facts: Facts, currency: str) -> float | None:
        """Where the target puts the metric (what recommendations quote)."""
        if self.value is not None:
            return resolve(self.value, currency)
        current = facts.get(self.metric)
        assert self.factor is not None, "a target needs a value or a factor"
        return None if current is None else current * self.factor

    def override(self, facts: Facts, currency: str) -> int | float | None:
        current = facts.get(self.metric)
        goal = self.goal(facts, currency)
        if current is None or goal is None:
            return None
        best = min(current, goal) if self.better == "lower" else max(current, goal)
        return type(current)(best) if isinstance(current, int) else best


@dataclass(frozen=True)
class Rule:
    id: str
    component: str
    category: str
    priority: Priority
    when: tuple[Cond, ...]
    severity: str
    worse: Literal["higher", "lower"]
    title: str
    body: str  # str.format template over formatted facts (and `target`)
    # The expected gain, appended when positive; may also use `target` and `impact`.
    outcome: str
    targets: tuple[Target, ...]

    def matches(self, facts: Facts, currency: str) -> bool:
        return all(cond.holds(facts, currency) for cond in self.when)

    def overrides(self, facts: Facts, currency: str) -> dict[str, int | float]:
        result: dict[str, int | float] = {}
        for target in self.targets:
            value = target.override(facts, currency)
            if value is not None:
                result[target.metric] = value
        return result

    def materially_worse(self, before: float | None, now: float | None) -> bool:
        if before is None or now is None:
            return False
        if self.worse == "higher":
            return now > before and now >= before * (1 + MATERIAL_WORSENING)
        return now < before and now <= before * (1 - MATERIAL_WORSENING)


_DISPUTE_RATIOS = (
    "dispute_ratio_visa_month",
    "dispute_ratio_visa_3m",
    "dispute_ratio_mc_month",
    "dispute_ratio_mc_3m",
)


def _ratios_at_most(value: float) -> tuple[Target, ...]:
    return tuple(Target(name, "lower", value=value) for name in _DISPUTE_RATIOS)


# Volatility around the trend that lenders read as steady (the consistency curve's 70 points).
DETRENDED_STABLE_CV: Final = 0.15
# Flat revenue by whichever comparison the business has (absent metrics are skipped).
_GROWTH_FLAT: Final = (
    Target("growth_yoy", "higher", value=0.0),
    Target("growth_3m", "higher", value=0.0),
    Target("growth_mom", "higher", value=0.0),
    Target("revenue_trend_12m", "higher", value=0.0),
)


def _qualifies(kind: str, title: str, body: str) -> "Rule":
    """A next step for a business that qualifies: what the lender will ask for."""
    return Rule(
        id=f"qualifies_{kind}",
        component="funding",
        category="funding",
        priority=Priority.medium,
        when=(Cond(f"eligible_{kind}", ">=", 1),),
        severity="eligible_products",
        worse="lower",
        title=title,
        body=body,
        outcome="",
        targets=(),
    )


_SCORE_RULES: Final[tuple[Rule, ...]] = (
    Rule(
        id="dispute_ratio_excessive",
        component="disputes",
        category="disputes",
        priority=Priority.high,
        when=(
            Cond("worst_dispute_ratio", ">=", VDMP_STANDARD_RATIO),
            Cond("disputes_count_3m", ">=", 2),
        ),
        severity="worst_dispute_ratio",
        worse="higher",
        title="Bring your dispute ratio out of card-network monitoring range",
        body=(
            "Your dispute ratio reached {worst_dispute_ratio}, with {disputes_count_3m} over "
            "the last 3 complete months. Visa starts monitoring merchants at "
            "0.9% and Mastercard at 1%, and most lenders won't fund a merchant in those "
            "programs. Answer every open dispute with evidence, use a statement descriptor "
            "customers recognize, and refund customers who ask before they go to their bank."
        ),
        outcome="Getting the ratio down to {target} would add about {impact}.",
        targets=_ratios_at_most(0.005),
    ),
    Rule(
        id="dispute_ratio_early_warning",
        component="disputes",
        category="disputes",
        priority=Priority.medium,
        when=(
            Cond("worst_dispute_ratio", ">=", VDMP_EARLY_WARNING_RATIO),
            Cond("worst_dispute_ratio", "<", VDMP_STANDARD_RATIO),
        ),
        severity="worst_dispute_ratio",
        worse="higher",
        title="Your dispute ratio is at Visa's early-warning level",
        body=(
            "Your dispute ratio is {worst_dispute_ratio} ({disputes_count_3m} over the last 3 "
            "complete months), at the 0.65% level where Visa's early warning starts. Send "
            "order and shipping confirmations, make cancelling easy, and respond to disputes "
            "quickly."
        ),
        outcome="Keeping it under {target} would add about {impact}.",
        targets=_ratios_at_most(0.004),
    ),
    Rule(
        id="fraud_driven_disputes",
        component="disputes",
        category="disputes",
        priority=Priority.medium,
        when=(
            Cond("fraud_dispute_share_90d", ">=", 0.5),
            Cond("disputes_count_3m", ">=", 3),
        ),
        severity="fraud_dispute_share_90d",
        worse="higher",
        title="Most of your disputes are fraud claims: tighten fraud screening",
        body=(
            "{fraud_dispute_share_90d} of your disputes in the last 90 days were filed as "
            "fraudulent or unrecognized charges. Turn on Radar rules for risky payments, "
            "request 3D Secure for high-risk cards, and check that your statement descriptor "
            "names your business clearly."
        ),
        outcome="Halving your dispute ratio would add about {impact}.",
        targets=tuple(Target(name, "lower", factor=0.5) for name in _DISPUTE_RATIOS),
    ),
    Rule(
        id="refund_rate_high",
        component="refunds",
        category="refunds",
        priority=Priority.high,
        when=(Cond("refund_rate_amount", ">=", REFUND_CONCERN_MIN),),
        severity="refund_rate_amount",
        worse="higher",
        title="Cut your refund rate: it worries lenders",
        body=(
            "You refunded {refund_rate_amount} of sales by amount ({refund_rate_count} of "
            "charges) over the last 90 days; above 10% points lenders to product, fulfilment "
            "or billing problems. Find the top refund reasons and fix the biggest one."
        ),
        outcome="Getting refunds down to {target} would add about {impact}.",
        targets=(
            Target("refund_rate_amount", "lower", value=REFUND_HEALTHY_MAX),
            Target("refund_rate_count", "lower", value=REFUND_HEALTHY_MAX),
        ),
    ),
    Rule(
        id="refund_rate_elevated",
        component="refunds",
        category="refunds",
        priority=Priority.medium,
        when=(
            Cond("refund_rate_amount", ">=", REFUND_HEALTHY_MAX),
            Cond("refund_rate_amount", "<", REFUND_CONCERN_MIN),
        ),
        severity="refund_rate_amount",
        worse="higher",
        title="Bring refunds back under 5% of sales",
        body=(
            "You refunded {refund_rate_amount} of sales by amount over the last 90 days; "
            "under 5% is what lenders consider healthy. Clearer product descriptions and "
            "delivery estimates usually help."
        ),
        outcome="Reaching {target} would add about {impact}.",
        targets=(
            Target("refund_rate_amount", "lower", value=0.03),
            Target("refund_rate_count", "lower", value=0.03),
        ),
    ),
    Rule(
        id="payout_failures",
        component="payouts",
        category="payouts",
        priority=Priority.high,
        when=(
            Cond("payout_failure_rate_90d", ">=", PAYOUT_FAILURE_HURTS),
            Cond("payouts_count_90d", ">=", 2),
        ),
        severity="payout_failure_rate_90d",
        worse="higher",
        title="Fix your failing payouts",
        body=(
            "{payout_failure_rate_90d} of your {payouts_count_90d} in the last 90 days "
            "failed. Lenders that repay from payouts need them to land: check the bank account "
            "on file in your Stripe settings and replace it if it was closed or changed."
        ),
        outcome="No failed payouts would add about {impact}.",
        targets=(Target("payout_failure_rate_90d", "lower", value=0.0),),
    ),
    Rule(
        id="payout_delays",
        component="payouts",
        category="payouts",
        priority=Priority.low,
        when=(Cond("payout_avg_arrival_delay_days", ">=", 3),),
        severity="payout_avg_arrival_delay_days",
        worse="higher",
        title="Speed up your payouts",
        body=(
            "Your payouts take {payout_avg_arrival_delay_days} on average to arrive. A daily "
            "automatic payout schedule and a bank account in your business's country shorten "
            "that."
        ),
        outcome="Payouts within {target} would add about {impact}.",
        targets=(Target("payout_avg_arrival_delay_days", "lower", value=2.0),),
    ),
    Rule(
        id="top_customer_concentration",
        component="concentration",
        category="customers",
        priority=Priority.high,
        when=(Cond("top_customer_share", ">=", TOP_CUSTOMER_RISK),),
        severity="top_customer_share",
        worse="higher",
        title="Reduce your dependence on your largest customer",
        body=(
            "Your largest customer brought {top_customer_share} of your revenue over the last "
            "12 months; lenders see one customer above 25% as a risk to repayment. Growing "
            "other accounts (or a longer contract with this one) lowers the risk."
        ),
        outcome="Bringing that share to {target} would add about {impact}.",
        targets=(Target("top_customer_share", "lower", value=0.2),),
    ),
    Rule(
        id="top5_customer_concentration",
        component="concentration",
        category="customers",
        priority=Priority.medium,
        when=(
            Cond("top5_customer_share", ">=", TOP5_CUSTOMER_RISK),
            Cond("top_customer_share", "<", TOP_CUSTOMER_RISK),
        ),
        severity="top5_customer_share",
        worse="higher",
        title="Broaden your customer base beyond your top five",
        body=(
            "Your five largest customers brought {top5_customer_share} of your revenue over "
            "the last 12 months; above 50% is a concentration risk for lenders."
        ),
        outcome="Bringing it to {target} would add about {impact}.",
        targets=(Target("top5_customer_share", "lower", value=0.45),),
    ),
    Rule(
        id="small_customer_base",
        component="concentration",
        category="customers",
        priority=Priority.low,
        when=(
            Cond("unique_customers_365d", "<", 50),
            Cond("days_of_history", ">=", INSUFFICIENT_HISTORY_DAYS),
        ),
        severity="unique_customers_365d",
        worse="lower",
        title="Grow your number of paying customers",
        body=(
            "{unique_customers_365d} paid you over the last 12 months. Stripe Capital and "
            "other lenders look at the size of the customer base."
        ),
        outcome="Reaching {target} would add about {impact}.",
        targets=(Target("unique_customers_365d", "higher", value=50),),
    ),
    Rule(
        id="revenue_below_lender_minimum",
        component="revenue",
        category="revenue",
        priority=Priority.medium,
        when=(
            Cond("avg_monthly_revenue_3m", "<", Major(RBF_MIN_MONTHLY_REVENUE)),
            Cond("days_of_history", ">=", INSUFFICIENT_HISTORY_DAYS),
        ),
        severity="avg_monthly_revenue_3m",
        worse="lower",
        title="Grow monthly revenue toward the usual lender minimum",
        body=(
            "Your net revenue averaged {avg_monthly_revenue_3m} a month over the last 3 "
            "months. Revenue-based lenders typically start at {target} a month, sustained for "
            "6 months."
        ),
        outcome="Getting there would add about {impact}.",
        targets=(
            Target("avg_monthly_revenue_3m", "higher", value=Major(RBF_MIN_MONTHLY_REVENUE)),
            Target("months_above_10k_last_6", "higher", value=3),
        ),
    ),
    Rule(
        id="sustain_revenue_level",
        component="revenue",
        category="revenue",
        priority=Priority.low,
        when=(
            Cond("avg_monthly_revenue_3m", ">=", Major(RBF_MIN_MONTHLY_REVENUE)),
            Cond("months_above_10k_last_6", "<", 6),
        ),
        severity="months_above_10k_last_6",
        worse="lower",
        title="Keep revenue at the lender level for six months running",
        body=(
            "You average {avg_monthly_revenue_3m} a month, but only {months_above_10k_last_6} "
            "of the last 6 complete months reached the level revenue-based lenders look for."
        ),
        outcome="Six months in a row would add about {impact}.",
        targets=(Target("months_above_10k_last_6", "higher", value=6),),
    ),
    Rule(
        id="revenue_volatile",
        component="consistency",
        category="consistency",
        priority=Priority.medium,
        when=(
            Cond("volatility_detrended_cv", ">", DETRENDED_STABLE_CV),
            Cond("consistency_score", "<", 70),
        ),
        severity="volatility_detrended_cv",
        worse="higher",
        title="Smooth out your monthly revenue",
        body=(
            "Around its trend (and its season, if it has one), your monthly revenue swings by "
            "{volatility_detrended_cv} of an average month; lenders treat 0.15 or less as "
            "steady. Subscriptions, pre-orders or retainers even out the months."
        ),
        outcome="Swings of {target} would add about {impact}.",
        targets=(
            Target("volatility_detrended_cv", "lower", value=0.12),
            Target("volatility_monthly_cv", "lower", value=STABLE_MONTHLY_CV),
        ),
    ),
    Rule(
        id="low_volume_months",
        component="consistency",
        category="consistency",
        priority=Priority.medium,
        when=(Cond("low_volume_months_12m", ">=", 2),),
        severity="low_volume_months_12m",
        worse="higher",
        title="Avoid months with little or no sales",
        body=(
            "{low_volume_months_12m} of the last 12 months had low or zero volume. Stripe "
            "Capital looks for a steady record without such gaps."
        ),
        outcome="A year without them would add about {impact}.",
        targets=(Target("low_volume_months_12m", "lower", value=0),),
    ),
    Rule(
        id="revenue_declining",
        component="growth",
        category="growth",
        priority=Priority.high,
        when=(Cond("revenue_growth", "<=", -0.10),),
        severity="revenue_decline_3m",
        worse="higher",
        title="Turn around your revenue decline",
        body=(
            "Revenue fell {revenue_decline_3m} comparing {growth_comparison}. A sustained "
            "decline is one of the most common reasons for a smaller offer or a refusal, and "
            "it caps your score until it turns."
        ),
        outcome="Holding revenue flat would add about {impact}.",
        targets=_GROWTH_FLAT,
    ),
    Rule(
        id="revenue_flat",
        component="growth",
        category="growth",
        priority=Priority.low,
        when=(
            Cond("revenue_growth", ">", -0.10),
            Cond("revenue_growth", "<=", 0.0),
            Cond("growth_score", "<", 70),
        ),
        severity="revenue_decline_3m",
        worse="higher",
        title="Get revenue growing again",
        body=(
            "Revenue changed {revenue_growth} comparing {growth_comparison}; lenders favour "
            "a growing business."
        ),
        outcome="{target} growth would add about {impact}.",
        targets=(
            Target("growth_yoy", "higher", value=0.05),
            Target("growth_3m", "higher", value=0.05),
            Target("growth_mom", "higher", value=0.05),
            Target("revenue_trend_12m", "higher", value=0.05),
        ),
    ),
    Rule(
        id="build_processing_history",
        component="history",
        category="history",
        priority=Priority.low,
        when=(
            Cond("days_of_history", ">=", INSUFFICIENT_HISTORY_DAYS),
            Cond("months_of_history", "<", STRIPE_CAPITAL_MIN_MONTHS),
        ),
        severity="months_of_history",
        worse="lower",
        title="Keep processing on Stripe to reach 9 months of history",
        body=(
            "You have {months_of_history} of processing history; Stripe Capital asks for at "
            "least 9. Keep your payments on one Stripe account so the history stays in one "
            "place."
        ),
        outcome="Reaching {target} would add about {impact}.",
        targets=(
            Target("months_of_history", "higher", value=STRIPE_CAPITAL_MIN_MONTHS),
            Target("days_of_history", "higher", value=270),
        ),
    ),
    Rule(
        id="insufficient_history",
        component="history",
        category="history",
        priority=Priority.medium,
        when=(Cond("days_of_history", "<", INSUFFICIENT_HISTORY_DAYS),),
        severity="days_of_history",
        worse="lower",
        title="Your score is provisional until you have 90 days of history",
        body=(
            "You've been processing for {days_of_history}. Lenders won't judge a business on "
            "less than about 3 months, so your tier shows as insufficient data until then."
        ),
        outcome="Reaching {target} would add about {impact}.",
        targets=(Target("days_of_history", "higher", value=INSUFFICIENT_HISTORY_DAYS),),
    ),
)

# One per funding product, and one for the next product to unlock: with them every
# business with a score has a next step (model 1.0 gave a healthy business none at all).
FUNDING_RULES: Final[tuple[Rule, ...]] = (
    _qualifies(
        "merchant_cash_advance",
        "You qualify for a merchant cash advance: what lenders will ask you for",
        "Your Stripe record meets Stripe Capital's published minimums: {months_of_history} of "
        "processing and {revenue_365d} over the last 12 months (it asks for 9 months and "
        "$5,000 a year). Stripe sizes offers from this volume and repays itself from a share "
        "of daily sales. Have ready: the business's legal name and tax ID, the owner's "
        "identity, and the bank account your payouts land in. Keep your dispute ratio "
        "({worst_dispute_ratio}) under 1% and your account in good standing.",
    ),
    _qualifies(
        "revenue_based_financing",
        "You qualify for revenue-based financing: what lenders will ask you for",
        "You average {avg_monthly_revenue_3m} a month over the last 3 complete months, with "
        "{months_above_10k_last_6} of the last 6 at $10,000 or more, and revenue changed "
        "{revenue_growth} comparing {growth_comparison}. Revenue-based lenders (Lighter "
        "Capital, Clearco and others) will ask for 6-12 months of bank statements, a profit "
        "and loss statement and balance sheet, monthly recurring revenue and churn, gross "
        "margin (often 50%+), and a customer concentration table (your largest customer: "
        "{top_customer_share}).",
    ),
    _qualifies(
        "bank_line_of_credit",
        "You qualify for a bank line of credit: what lenders will ask you for",
        "{months_of_history} of processing and {revenue_365d} over the last 12 months meet "
        "typical bank floors, and your months are steady (monthly CV "
        "{volatility_monthly_cv}). A bank will also ask for 2 years of business and personal "
        "tax returns, a year-to-date profit and loss statement and balance sheet, a schedule "
        "of existing debt, the owners' credit (often 680+), and usually collateral and a "
        "personal guarantee.",
    ),
    _qualifies(
        "sba_term_loan",
        "You qualify for an SBA 7(a) loan on your Stripe numbers: what lenders will ask for",
        "{months_of_history} of processing, {revenue_365d} over the last 12 months and a "
        "dispute ratio of {worst_dispute_ratio} meet what SBA 7(a) lenders usually look for. "
        "They will ask for SBA Form 1919, a personal financial statement (SBA Form 413) from "
        "every owner of 20% or more, 3 years of business and personal tax returns, "
        "year-to-date financial statements, a debt schedule and projections showing a debt "
        "service coverage ratio of about 1.15-1.25.",
    ),
    Rule(
        id="unlock_next_product",
        component="funding",
        category="funding",
        priority=Priority.low,
        when=(Cond("ineligible_products", ">=", 1),),
        severity="next_product_gaps",
        worse="higher",
        title="What would unlock your next funding option",
        body=(
            "The closest product you don't qualify for yet is {next_product}. What it needs: "
            "{next_product_steps}"
        ),
        outcome="",
        targets=(),
    ),
)
RULES: Final[tuple[Rule, ...]] = _SCORE_RULES + FUNDING_RULES

RULES_BY_ID: Final[Mapping[str, Rule]] = {rule.id: rule for rule in RULES}

# How facts are written in recommendation bodies.
_UNITS: Final[Mapping[str, str]] = {
    "worst_dispute_ratio": "ratio",
    "refund_rate_count": "ratio",
    "revenue_decline_3m": "ratio",
    "revenue_growth": "growth",
    "volatility_detrended_cv": "cv",
    "volatility_monthly_cv": "cv",
    "top_customer_share": "ratio",
    "avg_monthly_revenue_3m": "money",
    "revenue_365d": "money",
    "disputes_count_3m": "disputes",
    "unique_customers_365d": "customers",
    "payouts_count_90d": "payouts",
    "days_of_history": "days",
    "months_of_history": "months",
    "low_volume_months_12m": "count",
    "months_above_10k_last_6": "count",
    "payout_avg_arrival_delay_days": "days",
}


def format_fact(name: str, value: Any, unit: str, currency: str) -> str:
    if value is None:
        return "not available"
    unit = _UNITS.get(name, unit)
    if unit == "money":
        return format_money(value, currency)
    if unit == "growth":
        return format_percent(value, signed=True)
    if unit == "ratio":
        return format_percent(value, signed=name.startswith("growth"))
    if unit == "cv":
        return f"{value:.2f}"
    if unit == "days":
        return plural(round(value, 1), "day")
    if unit == "months":
        return plural(value, "month")
    if unit in ("customers", "disputes", "payouts"):
        return plural(value, unit.removesuffix("s"))
    return f"{value:g}" if isinstance(value, float) else str(value)


def units_for(metrics: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    return {name: str(entry.get("unit", "")) for name, entry in metrics.items()}
