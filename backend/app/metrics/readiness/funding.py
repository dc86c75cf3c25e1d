"""Which funding products a business looks ready for, and how far off each criterion is.

These are documented heuristics modelled on published criteria (sources in
``docs/knowledge/readiness-score-explained.md``), not lender decisions. A product is
``eligible`` when every criterion measurable from Stripe data is met; criteria Stripe data
cannot show (credit, profitability, good standing) are listed with ``met=None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from app.core.money import format_major, format_money, to_minor
from app.core.text import format_percent, plural
from app.metrics.readiness.derived import revenue_growth, worst_dispute_ratio
from app.metrics.readiness.inputs import ReadinessInputs
from app.metrics.readiness.model import (
    BANK_MIN_ANNUAL_REVENUE,
    LIGHTER_MIN_AVG_MONTHLY_REVENUE,
    MC_ECP_MONITORED_RATIO,
    RBF_MIN_MONTHLY_REVENUE,
    RBF_MIN_MONTHS_AT_LEVEL,
    STABLE_MONTHLY_CV,
    STRIPE_CAPITAL_MIN_ANNUAL_VOLUME,
    STRIPE_CAPITAL_MIN_MONTHS,
    SUSTAINED_DECLINE,
    VDMP_EARLY_WARNING_RATIO,
)
from app.metrics.readiness.results import Criterion, FundingOption, FundingType, UnmetCriterion

# One customer bringing more than half the revenue: a lender repaid from revenue (or cash
# flow) would lose half its repayment with that client. Vaultra heuristic; RBF providers and
# banks ask for customer concentration tables, and 25% is where concentration starts to count.
MAX_TOP_CUSTOMER_SHARE: Final = 0.5


@dataclass(frozen=True, slots=True)
class FundingSpec:
    """Published-criteria heuristic for one product.

    ``thresholds`` keys: ``min_months_history`` (complete months), ``min_annual_revenue``
    (major units, trailing 12 months), ``min_avg_monthly_revenue_3m`` and
    ``min_months_above_10k`` (either one satisfies the revenue criterion),
    ``min_growth`` (year over year once 15 months exist, else quarter over quarter, so a
    seasonal business is not failed for its spring), ``min_revenue_trend`` (the model's
    revenue trend over a year: no sustained decline), ``max_top_customer_share``,
    ``max_monthly_cv``,
    ``max_low_volume_months`` (inclusive limits) and
    ``max_dispute_ratio`` (the worst ratio must be strictly below it).
    ``unmeasurable`` lists ``(criterion, message)`` pairs Stripe data cannot show.
    """

    name: str
    source: str
    thresholds: Mapping[str, float]
    unmeasurable: tuple[tuple[str, str], ...]


FUNDING_CRITERIA: Final[Mapping[FundingType, FundingSpec]] = {
    "merchant_cash_advance": FundingSpec(
        name="Merchant cash advance (Stripe Capital style)",
        source=(
            "Stripe docs: 'Stripe Capital eligibility' (US minimums); Vaultra doc "
            "'readiness-score-explained', section 'Merchant cash advance'"
        ),
        thresholds={
            "min_months_history": STRIPE_CAPITAL_MIN_MONTHS,
            "min_annual_revenue": STRIPE_CAPITAL_MIN_ANNUAL_VOLUME,
            "max_dispute_ratio": MC_ECP_MONITORED_RATIO,
        },
        unmeasurable=(
            (
                "good_standing",
                "Stripe also requires a US business in good standing with Stripe Capital "
                "(no rejected application in the last 30 days); offers are at Stripe's "
                "discretion.",
            ),
        ),
    ),
    "revenue_based_financing": FundingSpec(
        name="Revenue-based financing",
        source=(
            "Lighter Capital FAQ (minimum revenue); typical RBF provider criteria; Vaultra doc "
            "'readiness-score-explained', section 'Revenue-based financing'"
        ),
        thresholds={
            "min_months_history": 6,
            "min_avg_monthly_revenue_3m": LIGHTER_MIN_AVG_MONTHLY_REVENUE,
            "min_months_above_10k": RBF_MIN_MONTHS_AT_LEVEL,
            "min_growth": -0.20,
            "max_top_customer_share": MAX_TOP_CUSTOMER_SHARE,
            "max_dispute_ratio": MC_ECP_MONITORED_RATIO,
        },
        unmeasurable=(
            (
                "margins_and_retention",
                "RBF providers also check gross margin (often 50%+), churn and net revenue "
                "retention, which Stripe payment data alone doesn't show.",
            ),
        ),
    ),
    "bank_line_of_credit": FundingSpec(
        name="Bank line of credit",
        source=(
            "Typical bank small-business line of credit criteria; Vaultra doc "
            "'readiness-score-explained', section 'Bank line of credit'"
        ),
        thresholds={
            "min_months_history": 24,
            "min_annual_revenue": BANK_MIN_ANNUAL_REVENUE,
            "min_revenue_trend": SUSTAINED_DECLINE,
            "max_top_customer_share": MAX_TOP_CUSTOMER_SHARE,
            "max_monthly_cv": STABLE_MONTHLY_CV,
            "max_low_volume_months": 1,
            "max_dispute_ratio": MC_ECP_MONITORED_RATIO,
        },
        unmeasurable=(
            (
                "credit_and_collateral",
                "Banks also check the owners' personal credit (often 680+), existing debt "
                "and collateral, and usually ask for a personal guarantee.",
            ),
        ),
    ),
    "sba_term_loan": FundingSpec(
        name="SBA 7(a) term loan",
        source=(
            "U.S. SBA 7(a) program eligibility and SOP 50 10; typical SBA lender criteria; "
            "Vaultra doc 'readiness-score-explained', section 'SBA 7(a) term loan'"
        ),
        thresholds={
            "min_months_history": 24,
            "min_annual_revenue": BANK_MIN_ANNUAL_REVENUE,
            "min_revenue_trend": SUSTAINED_DECLINE,
            "max_top_customer_share": MAX_TOP_CUSTOMER_SHARE,
            "max_dispute_ratio": VDMP_EARLY_WARNING_RATIO,
        },
        unmeasurable=(
            (
                "profitability",
                "SBA lenders need repayment ability from cash flow (a debt service coverage "
                "ratio of about 1.15-1.25); Stripe shows revenue, not expenses or profit, so "
                "this can't be measured here.",
            ),
            (
                "sba_eligibility",
                "The business must be for-profit, operate in the US and meet SBA size "
                "standards; owners of 20% or more personally guarantee the loan.",
            ),
        ),
    ),
}

_MONTH_DESCRIPTION = "complete months of processing history"


def evaluate_funding_options(inputs: ReadinessInputs, currency: str = "usd") -> list[FundingOption]:
    """One ``FundingOption`` per product in ``FUNDING_CRITERIA``, in table order."""
    currency = currency.lower()
    return [_evaluate(kind, spec, inputs, currency) for kind, spec in FUNDING_CRITERIA.items()]


def _evaluate(
    kind: FundingType, spec: FundingSpec, inputs: ReadinessInputs, currency: str
) -> FundingOption:
    t = spec.thresholds
    criteria: list[Criterion] = []
    if "min_months_history" in t:
        criteria.append(_history(inputs, int(t["min_months_history"])))
    if "min_annual_revenue" in t:
        criteria.append(_annual_revenue(inputs, t["min_annual_revenue"], currency))
    if "min_avg_monthly_revenue_3m" in t:
        criteria.append(
            _monthly_revenue(
                inputs,
                t["min_avg_monthly_revenue_3m"],
                int(t["min_months_above_10k"]),
                currency,
            )
        )
    if "min_growth" in t:
        criteria.append(_growth(inputs, t["min_growth"]))
    if "min_revenue_trend" in t:
        criteria.append(_trend(inputs, t["min_revenue_trend"]))
    if "max_top_customer_share" in t:
        criteria.append(_concentration(inputs, t["max_top_customer_share"]))
    if "max_monthly_cv" in t:
        criteria.append(_volatility(inputs, t["max_monthly_cv"]))
    if "max_low_volume_months" in t:
        criteria.append(_low_volume(inputs, int(t["max_low_volume_months"])))
    if "max_dispute_ratio" in t:
        criteria.append(_disputes(inputs, t["max_dispute_ratio"]))
    criteria.extend(
        Criterion(
            criterion=key,
            description=message,
            unit=None,
            required=None,
            current=None,
            met=None,
            message=message,
        )
        for key, message in spec.unmeasurable
    )
    unmet = [
        UnmetCriterion(
            criterion=c.criterion,
            current=c.current,
            required=c.required,
            gap=_gap(c),
            message=c.message,
        )
        for c in criteria
        if c.met is False
    ]
    return FundingOption(
        type=kind,
        name=spec.name,
        eligible=not unmet,
        unmet=unmet,
        criteria=criteria,
        source=spec.source,
    )


def _gap(c: Criterion) -> int | float | None:
    if c.current is None or c.required is None:
        return None
    gap = abs(c.required - c.current)
    # Ratios: drop float noise such as 0.15000000000000002.
    return gap if isinstance(gap, int) else round(gap, 6)


def _history(i: ReadinessInputs, required: int) -> Criterion:
    have = i.months_of_history
    met = have >= required
    if met:
        message = f"{have} {_MONTH_DESCRIPTION} (needs {required})."
    else:
        message = (
            f"{plural(required - have, 'more month')} of processing history "
            f"({have} of {required} complete months so far)."
        )
    return Criterion(
        criterion="months_of_history",
        description=f"At least {required} {_MONTH_DESCRIPTION}",
        unit="months",
        required=required,
        current=have,
        met=met,
        message=message,
    )


def _annual_revenue(i: ReadinessInputs, required_major: float, currency: str) -> Criterion:
    required = to_minor(required_major, currency)
    have = i.revenue_365d
    met = have >= required
    need = format_money(required, currency)
    if met:
        message = f"{format_money(have, currency)} over the last 12 months (needs {need})."
    else:
        message = (
            f"{format_money(required - have, currency)} more net revenue over the last "
            f"12 months (currently {format_money(have, currency)}; needs {need})."
        )
    return Criterion(
        criterion="revenue_365d",
        description=f"At least {need} of net revenue in the last 12 months",
        unit="money",
        required=required,
        current=have,
        met=met,
        message=message,
    )


def _monthly_revenue(
    i: ReadinessInputs, avg_required_major: float, months_required: int, currency: str
) -> Criterion:
    # Either path qualifies: Lighter-style average over 3 months, or a typical RBF floor
    # held every month for the last 6.
    required = to_minor(avg_required_major, currency)
    have = i.avg_monthly_revenue_3m
    met = have >= required or i.months_above_10k_last_6 >= months_required
    avg_need = format_money(required, currency)
    level = format_major(RBF_MIN_MONTHLY_REVENUE, currency)
    if met:
        message = (
            f"{format_money(have, currency)}/month averaged over 3 months and "
            f"{i.months_above_10k_last_6} of the last 6 months at or above {level}."
        )
    else:
        message = (
            f"{format_money(required - have, currency)}/month more average revenue "
            f"(currently {format_money(have, currency)}/month over the last 3 months; needs "
            f"{avg_need}/month), or "
            f"{plural(months_required - i.months_above_10k_last_6, 'more month')} at or above "
            f"{level} (currently {i.months_above_10k_last_6} of the last 6)."
        )
    return Criterion(
        criterion="avg_monthly_revenue_3m",
        description=(
            f"At least {avg_need}/month averaged over the last 3 months, or {level}+ in each "
            f"of the last {months_required} months"
        ),
        unit="money",
        required=required,
        current=have,
        met=met,
        message=message,
    )


def _growth(i: ReadinessInputs, minimum: float) -> Criterion:
    have = revenue_growth(i)
    floor = format_percent(minimum, signed=True)
    basis = "year over year" if i.growth_yoy is not None else "against the period before"
    if have is None:
        met = False
        message = "Revenue growth can't be measured yet (needs 2 complete months)."
    elif have >= minimum:
        met = True
        message = f"Revenue changed {format_percent(have, signed=True)} {basis}."
    else:
        met = False
        message = (
            f"Revenue change must be {floor} or better "
            f"(currently {format_percent(have, signed=True)} {basis})."
        )
    return Criterion(
        criterion="revenue_growth",
        description=(
            f"Revenue not down more than {format_percent(-minimum)} (the last 3 months year "
            "over year once 15 months exist, else against the 3 or 1 months before)"
        ),
        unit="ratio",
        required=minimum,
        current=have,
        met=met,
        message=message,
    )


def _volatility(i: ReadinessInputs, maximum: float) -> Criterion:
    have = i.volatility_monthly_cv
    if have is None:
        met, message = False, "Monthly revenue variability can't be measured yet."
    elif have <= maximum:
        met, message = True, f"Monthly revenue CV is {have:.2f} (limit {maximum:.2f})."
    else:
        met = False
        message = (
            f"Monthly revenue variability (CV) must be {maximum:.2f} or lower "
            f"(currently {have:.2f})."
        )
    return Criterion(
        criterion="volatility_monthly_cv",
        description=f"Monthly revenue coefficient of variation of {maximum:.2f} or lower",
        unit="cv",
        required=maximum,
        current=have,
        met=met,
        message=message,
    )


def _low_volume(i: ReadinessInputs, maximum: int) -> Criterion:
    have = i.low_volume_months_12m
    met = have <= maximum
    if met:
        message = f"{plural(have, 'low-volume month')} in the last 12 (limit {maximum})."
    else:
        message = (
            f"{plural(have - maximum, 'fewer low-volume month')} in the last 12 "
            f"(currently {have}; at most {maximum})."
        )
    return Criterion(
        criterion="low_volume_months_12m",
        description=f"At most {plural(maximum, 'low- or zero-volume month')} in the last 12",
        unit="months",
        required=maximum,
        current=have,
        met=met,
        message=message,
    )


def _disputes(i: ReadinessInputs, maximum: float) -> Criterion:
    have = worst_dispute_ratio(i)
    limit = format_percent(maximum)
    if have is None:
        met, message = False, "Dispute ratio can't be measured yet (no recent charges)."
    elif have < maximum:
        met, message = True, f"Worst dispute ratio is {format_percent(have)} (below {limit})."
    else:
        met = False
        message = f"Dispute ratio must fall below {limit} (currently {format_percent(have)})."
    return Criterion(
        criterion="worst_dispute_ratio",
        description=f"Worst recent dispute ratio below {limit}",
        unit="ratio",
        required=maximum,
        current=have,
        met=met,
        message=message,
    )


def _trend(i: ReadinessInputs, minimum: float) -> Criterion:
    have = i.revenue_trend_12m
    floor = format_percent(-minimum)
    if have is None:
        met, message = False, "Revenue trend can't be measured yet (needs 6 complete months)."
    elif have >= minimum:
        met, message = True, f"Revenue trend over a year: {format_percent(have, signed=True)}."
    else:
        met = False
        message = (
            f"Revenue must stop falling: its trend over a year must be down no more than "
            f"{floor} (currently {format_percent(have, signed=True)})."
        )
    return Criterion(
        criterion="revenue_trend_12m",
        description=f"No sustained decline: revenue trend over a year down no more than {floor}",
        unit="ratio",
        required=minimum,
        current=have,
        met=met,
        message=message,
    )


def _concentration(i: ReadinessInputs, maximum: float) -> Criterion:
    have = i.top_customer_share
    limit = format_percent(maximum)
    if have is None:
        met, message = False, "Customer concentration can't be measured yet (no charges)."
    elif have <= maximum:
        met = True
        message = f"Your largest customer brought {format_percent(have)} of revenue."
    else:
        met = False
        message = (
            f"Your largest customer must bring no more than {limit} of revenue "
            f"(currently {format_percent(have)})."
        )
    return Criterion(
        criterion="top_customer_share",
        description=f"Largest customer at most {limit} of the last 12 months' revenue",
        unit="ratio",
        required=maximum,
        current=have,
        met=met,
        message=message,
    )
