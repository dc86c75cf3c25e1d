"""The readiness model's table: published anchors, Vaultra heuristics, curves, tiers and caps.

Every weight and threshold lives here: the constants, ``COMPONENTS``, ``TIERS``,
``TIER_MIN_ELIGIBLE`` and ``DECLINE_CAP``. They are mirrored in
``docs/knowledge/readiness-score-explained.md``, and
``tests/metrics/readiness/test_readiness_doc.py`` fails when the two drift apart.

Money thresholds are stated in major units (published in USD) and applied numerically to
the business currency, so "$10,000/month" means 10,000 EUR/month for a EUR business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

# 2.0: growth year over year (and no peak-to-trough windows), consistency around the trend
# and season, a sustained-decline cap, missing data neutral with weight 0, tiers that agree
# with funding eligibility, three-decimal currencies.
MODEL_VERSION: Final = "2.0"

Tier = Literal["insufficient_data", "not_ready", "emerging", "ready", "strong"]
Unit = Literal["days", "months", "money", "ratio", "cv", "count", "factor"]

# --- Published anchors (sources in the doc). Money in major units of the business currency.
STRIPE_CAPITAL_MIN_MONTHS: Final = 9
STRIPE_CAPITAL_MIN_ANNUAL_VOLUME: Final = 5_000
RBF_MIN_MONTHLY_REVENUE: Final = 10_000
RBF_MIN_MONTHS_AT_LEVEL: Final = 6
LIGHTER_MIN_AVG_MONTHLY_REVENUE: Final = 15_000
BANK_MIN_ANNUAL_REVENUE: Final = 100_000
VDMP_EARLY_WARNING_RATIO: Final = 0.0065
VDMP_STANDARD_RATIO: Final = 0.009
MC_ECP_MONITORED_RATIO: Final = 0.010
VAMP_EXCESSIVE_RATIO: Final = 0.015  # from 2026-04-01; also Mastercard's ECM level
VAMP_EXCESSIVE_RATIO_2025: Final = 0.022
MC_HIGH_EXCESSIVE_RATIO: Final = 0.030
# --- Vaultra heuristics, also used in explanations and funding criteria.
STABLE_MONTHLY_CV: Final = 0.35
GROWTH_DECLINE_HURTS: Final = -0.10
REFUND_HEALTHY_MAX: Final = 0.05
REFUND_CONCERN_MIN: Final = 0.10
PAYOUT_FAILURE_HURTS: Final = 0.05
TOP_CUSTOMER_RISK: Final = 0.25
TOP5_CUSTOMER_RISK: Final = 0.50

# --- Model constants.
INSUFFICIENT_HISTORY_DAYS: Final = 90
# A metric that cannot be computed is left out and its share goes to the component's other
# metrics; a component without its key metric weighs 0 and its weight goes to the others in
# proportion (never "helps": 1.0 scored the six-week store's consistency 80 on no data).
MISSING_COMPONENT_WEIGHT: Final = 0.0
# Months of full data each component, and each growth comparison, needs (the metrics are
# computed only once they exist: app/metrics/calculations.py). Year over year: the same 3
# months a year earlier, 12 + 3.
CONSISTENCY_MIN_MONTHS: Final = 6
GROWTH_MIN_MONTHS: Final = 2
GROWTH_QOQ_MIN_MONTHS: Final = 6
GROWTH_YOY_MIN_MONTHS: Final = 15
# A fitted or year-over-year fall of 10% a year or more is a sustained decline.
SUSTAINED_DECLINE: Final = -0.10
# Revenue trend words: within +/-5% a year is flat.
REVENUE_TREND_BAND: Final = 0.05
STATUS_HELPS_MIN: Final = 70.0
STATUS_HURTS_BELOW: Final = 40.0
# Highest tier first; a score belongs to the first tier whose minimum it reaches.
TIERS: Final[tuple[tuple[Tier, int], ...]] = (
    ("strong", 80),
    ("ready", 60),
    ("emerging", 40),
    ("not_ready", 0),
)
# Tiers agree with funding eligibility: `strong` needs this many eligible products, `ready`
# this many. When the rule binds, the score is capped at the top of the highest tier allowed.
TIER_MIN_ELIGIBLE: Final[Mapping[Tier, int]] = {"strong": 2, "ready": 1}
# A sustained decline caps the overall score: (revenue trend over a year, highest score).
# Down 10% or less: no cap; down 20%: 59 (at most `emerging`); down 50% or more: 40.
DECLINE_CAP: Final[tuple[tuple[float, float], ...]] = (
    (-0.5, 40),
    (-0.2, 59),
    (SUSTAINED_DECLINE, 100),
)


@dataclass(frozen=True, slots=True)
class Curve:
    """Points awarded for one metric, linearly interpolated between breakpoints.

    ``points`` are ``(metric value, points)`` pairs in increasing metric order; below the
    first and above the last breakpoint the end value holds. For ``unit="money"`` the
    metric value is in major units. ``share`` is the curve's weight inside its component.
    """

    metric: str
    unit: Unit
    share: float
    points: tuple[tuple[float, float], ...]
    # Left out when this metric is present (sequential growth once year over year exists,
    # so a seasonal business never has a peak compared with a trough).
    superseded_by: str | None = None


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    label: str
    weight: float
    key_metric: str
    curves: tuple[Curve, ...]
    # Scales the component's shortfall from 100 by sample size (only disputes use it): one
    # dispute among a handful of charges is weaker evidence than a sustained ratio.
    confidence: Curve | None = None
    # (component score, highest overall score) breakpoints for red flags that strengths
    # elsewhere must not offset: a merchant in a card-network monitoring program is hard
    # to finance however good its revenue is.
    score_cap: tuple[tuple[float, float], ...] | None = None
    # Highest component score allowed by another metric: a business whose revenue falls
    # steadily can't score "helps" on consistency, however smooth the fall.
    ceiling: Curve | None = None


COMPONENTS: Final[Mapping[str, ComponentSpec]] = {
    "history": ComponentSpec(
        label="Processing history & volume",
        weight=0.15,
        key_metric="days_of_history",
        curves=(
            Curve(
                "days_of_history",
                "days",
                0.4,
                ((0, 0), (90, 30), (180, 55), (270, 80), (365, 90), (730, 100)),
            ),
            Curve(
                "months_of_history",
                "months",
                0.3,
                ((0, 0), (3, 30), (6, 55), (STRIPE_CAPITAL_MIN_MONTHS, 80), (12, 90), (24, 100)),
            ),
            Curve(
                "revenue_365d",
                "money",
                0.3,
                ((0, 0), (STRIPE_CAPITAL_MIN_ANNUAL_VOLUME, 60), (25_000, 85), (100_000, 100)),
            ),
        ),
    ),
    "revenue": ComponentSpec(
        label="Revenue level",
        weight=0.20,
        key_metric="avg_monthly_revenue_3m",
        curves=(
            Curve(
                "avg_monthly_revenue_3m",
                "money",
                0.5,
                (
                    (0, 0),
                    (5_000, 35),
                    (RBF_MIN_MONTHLY_REVENUE, 65),
                    (LIGHTER_MIN_AVG_MONTHLY_REVENUE, 80),
                    (50_000, 100),
                ),
            ),
            Curve(
                "months_above_10k_last_6",
                "months",
                0.25,
                ((0, 0), (3, 45), (RBF_MIN_MONTHS_AT_LEVEL, 100)),
            ),
            Curve(
                "revenue_365d",
                "money",
                0.25,
                (
                    (0, 0),
                    (60_000, 35),
                    (120_000, 65),
                    (250_000, 90),
                    (1_000_000, 100),
                ),
            ),
        ),
    ),
    "consistency": ComponentSpec(
        label="Revenue consistency",
        weight=0.15,
        key_metric="volatility_detrended_cv",
        curves=(
            Curve(
                "volatility_detrended_cv",
                "cv",
                0.5,
                ((0.05, 100), (0.15, 70), (0.30, 35), (0.60, 0)),
            ),
            Curve(
                "low_volume_months_12m",
                "months",
                0.3,
                ((0, 100), (1, 85), (2, 70), (4, 35), (6, 0)),
            ),
            Curve(
                "revenue_trend_12m",
                "ratio",
                0.2,
                ((-0.5, 0), (-0.2, 40), (-0.05, 80), (0.0, 100)),
            ),
        ),
        ceiling=Curve(
            "revenue_trend_12m",
            "ratio",
            1.0,
            ((-0.30, 30), (SUSTAINED_DECLINE, 69), (0.0, 100)),
        ),
    ),
    "growth": ComponentSpec(
        label="Growth trajectory",
        weight=0.10,
        key_metric="revenue_growth",
        curves=(
            Curve(
                "growth_yoy",
                "ratio",
                1.0,
                (
                    (-0.30, 0),
                    (GROWTH_DECLINE_HURTS, 30),
                    (0.0, 55),
                    (0.10, 75),
                    (0.25, 90),
                    (0.50, 100),
                ),
            ),
            Curve(
                "growth_3m",
                "ratio",
                0.7,
                (
                    (-0.30, 0),
                    (GROWTH_DECLINE_HURTS, 30),
                    (0.0, 55),
                    (0.10, 75),
                    (0.25, 90),
                    (0.50, 100),
                ),
                superseded_by="growth_yoy",
            ),
            Curve(
                "growth_mom",
                "ratio",
                0.3,
                ((-0.20, 0), (-0.05, 35), (0.0, 55), (0.05, 75), (0.15, 100)),
                superseded_by="growth_yoy",
            ),
        ),
    ),
    "disputes": ComponentSpec(
        label="Dispute health",
        weight=0.15,
        key_metric="worst_dispute_ratio",
        curves=(
            Curve(
                "worst_dispute_ratio",
                "ratio",
                1.0,
                (
                    (0.0, 100),
                    (0.003, 90),
                    (VDMP_EARLY_WARNING_RATIO, 70),
                    (VDMP_STANDARD_RATIO, 50),
                    (MC_ECP_MONITORED_RATIO, 40),
                    (VAMP_EXCESSIVE_RATIO, 15),
                    (VAMP_EXCESSIVE_RATIO_2025, 5),
                    (MC_HIGH_EXCESSIVE_RATIO, 0),
                ),
            ),
        ),
        confidence=Curve("dispute_count", "factor", 1.0, ((1, 0.5), (5, 1.0))),
        score_cap=((0, 30), (15, 45), (40, 100)),
    ),
    "refunds": ComponentSpec(
        label="Refund rate",
        weight=0.08,
        key_metric="refund_rate_amount",
        curves=(
            Curve(
                "refund_rate_amount",
                "ratio",
                0.75,
                (
                    (0.0, 100),
                    (0.02, 90),
                    (REFUND_HEALTHY_MAX, 70),
                    (REFUND_CONCERN_MIN, 30),
                    (0.20, 0),
                ),
            ),
            Curve(
                "refund_rate_count",
                "ratio",
                0.25,
                (
                    (0.0, 100),
                    (0.02, 90),
                    (REFUND_HEALTHY_MAX, 70),
                    (REFUND_CONCERN_MIN, 30),
                    (0.20, 0),
                ),
            ),
        ),
    ),
    "payouts": ComponentSpec(
        label="Payout reliability",
        weight=0.07,
        key_metric="payout_failure_rate_90d",
        curves=(
            Curve(
                "payout_failure_rate_90d",
                "ratio",
                0.7,
                ((0.0, 100), (0.02, 70), (PAYOUT_FAILURE_HURTS, 40), (0.10, 0)),
            ),
            Curve(
                "payout_avg_arrival_delay_days",
                "days",
                0.3,
                ((0, 100), (1, 85), (3, 50), (7, 0)),
            ),
        ),
    ),
    "concentration": ComponentSpec(
        label="Customer concentration",
        weight=0.10,
        key_metric="top_customer_share",
        curves=(
            Curve(
                "top_customer_share",
                "ratio",
                0.45,
                ((0.10, 100), (TOP_CUSTOMER_RISK, 60), (0.50, 20), (0.80, 0)),
            ),
            Curve(
                "top5_customer_share",
                "ratio",
                0.35,
                ((0.30, 100), (TOP5_CUSTOMER_RISK, 60), (0.80, 20), (1.0, 0)),
            ),
            Curve(
                "unique_customers_365d",
                "count",
                0.20,
                ((1, 0), (10, 40), (50, 80), (200, 100)),
            ),
        ),
    ),
}
