"""Funding option heuristics: eligible and not-yet cases with their gap messages."""

from __future__ import annotations

import dataclasses

import pytest

from app.metrics.readiness.funding import FUNDING_CRITERIA, evaluate_funding_options
from app.metrics.readiness.inputs import ReadinessInputs
from app.metrics.readiness.results import FundingOption
from app.metrics.readiness.scoring import compute_readiness

# Just clears every measurable criterion of every product.
QUALIFIES_FOR_ALL = ReadinessInputs(
    days_of_history=760,
    months_of_history=24,
    revenue_365d=10_000_000,
    avg_monthly_revenue_3m=1_500_000,
    months_above_10k_last_6=3,
    growth_3m=-0.20,
    growth_mom=0.0,
    revenue_trend_12m=-0.10,
    top_customer_share=0.5,
    volatility_monthly_cv=0.35,
    low_volume_months_12m=1,
    dispute_ratio_visa_month=0.006,
    dispute_ratio_mc_3m=0.0064,
    disputes_count_3m=12,
)


def _options(inputs: ReadinessInputs, currency: str = "usd") -> dict[str, FundingOption]:
    return {o.type: o for o in evaluate_funding_options(inputs, currency)}


def _unmet_messages(option: FundingOption) -> dict[str, str]:
    return {u.criterion: u.message for u in option.unmet}


def test_boundary_profile_is_eligible_for_every_product() -> None:
    options = _options(QUALIFIES_FOR_ALL)
    assert list(options) == list(FUNDING_CRITERIA)
    for option in options.values():
        assert option.eligible, option.type
        assert option.unmet == []
        assert option.source
        assert all(c.met is not False for c in option.criteria)


def test_compute_readiness_includes_the_four_options() -> None:
    result = compute_readiness(QUALIFIES_FOR_ALL)
    assert [o.type for o in result.funding_options] == [
        "merchant_cash_advance",
        "revenue_based_financing",
        "bank_line_of_credit",
        "sba_term_loan",
    ]
    assert result.funding_options == evaluate_funding_options(QUALIFIES_FOR_ALL, "usd")


def test_unmeasurable_criteria_are_listed_but_never_block() -> None:
    sba = _options(QUALIFIES_FOR_ALL)["sba_term_loan"]
    profitability = next(c for c in sba.criteria if c.criterion == "profitability")
    assert profitability.met is None
    assert profitability.unit is None
    assert "can't be measured" in profitability.message
    assert sba.eligible


def test_merchant_cash_advance_gaps() -> None:
    young = dataclasses.replace(
        QUALIFIES_FOR_ALL, months_of_history=7, revenue_365d=380_000, dispute_ratio_mc_3m=0.018
    )
    mca = _options(young)["merchant_cash_advance"]
    assert not mca.eligible
    assert _unmet_messages(mca) == {
        "months_of_history": "2 more months of processing history (7 of 9 complete months so far).",
        "revenue_365d": (
            "$1,200 more net revenue over the last 12 months (currently $3,800; needs $5,000)."
        ),
        "worst_dispute_ratio": "Dispute ratio must fall below 1% (currently 1.8%).",
    }
    gaps = {u.criterion: u.gap for u in mca.unmet}
    assert gaps == {"months_of_history": 2, "revenue_365d": 120_000, "worst_dispute_ratio": 0.008}


def test_one_month_short_is_singular() -> None:
    mca = _options(dataclasses.replace(QUALIFIES_FOR_ALL, months_of_history=8))
    assert _unmet_messages(mca["merchant_cash_advance"])["months_of_history"].startswith(
        "1 more month of processing history"
    )


@pytest.mark.parametrize(
    ("avg", "months_at_10k", "eligible"),
    [
        (1_500_000, 0, True),  # Lighter-style: $15,000 averaged over 3 months
        (1_000_000, 6, True),  # typical RBF: $10,000+ in each of the last 6 months
        (1_499_999, 5, False),
    ],
)
def test_rbf_revenue_is_met_by_either_path(avg: int, months_at_10k: int, eligible: bool) -> None:
    inputs = dataclasses.replace(
        QUALIFIES_FOR_ALL, avg_monthly_revenue_3m=avg, months_above_10k_last_6=months_at_10k
    )
    assert _options(inputs)["revenue_based_financing"].eligible is eligible


def test_rbf_gap_messages() -> None:
    inputs = dataclasses.replace(
        QUALIFIES_FOR_ALL,
        months_of_history=4,
        avg_monthly_revenue_3m=1_180_000,
        months_above_10k_last_6=4,
        growth_3m=-0.35,
    )
    rbf = _options(inputs)["revenue_based_financing"]
    assert _unmet_messages(rbf) == {
        "months_of_history": "2 more months of processing history (4 of 6 complete months so far).",
        "avg_monthly_revenue_3m": (
            "$3,200/month more average revenue (currently $11,800/month over the last 3 "
            "months; needs $15,000/month), or 2 more months at or above $10,000 "
            "(currently 4 of the last 6)."
        ),
        "revenue_growth": (
            "Revenue change must be -20% or better (currently -35% against the period before)."
        ),
    }
    assert {u.criterion: u.gap for u in rbf.unmet}["revenue_growth"] == 0.15


def test_rbf_growth_is_year_over_year_once_it_exists() -> None:
    # Spring against the Q4 peak is -35%; the same months a year earlier are +14%.
    seasonal = dataclasses.replace(QUALIFIES_FOR_ALL, growth_3m=-0.35, growth_yoy=0.14)
    rbf = _options(seasonal)["revenue_based_financing"]
    assert rbf.eligible
    growth = next(c for c in rbf.criteria if c.criterion == "revenue_growth")
    assert growth.message == "Revenue changed +14% year over year."


def test_missing_growth_counts_as_not_yet_met() -> None:
    options = _options(
        dataclasses.replace(QUALIFIES_FOR_ALL, growth_3m=None, growth_mom=None, growth_yoy=None)
    )
    rbf = options["revenue_based_financing"]
    unmet = {u.criterion: u for u in rbf.unmet}
    assert list(unmet) == ["revenue_growth"]
    assert unmet["revenue_growth"].gap is None
    assert "can't be measured yet" in unmet["revenue_growth"].message


def test_bank_line_of_credit_gaps() -> None:
    inputs = dataclasses.replace(
        QUALIFIES_FOR_ALL,
        months_of_history=14,
        revenue_365d=8_000_000,
        volatility_monthly_cv=0.52,
        low_volume_months_12m=3,
    )
    bank = _options(inputs)["bank_line_of_credit"]
    assert _unmet_messages(bank) == {
        "months_of_history": (
            "10 more months of processing history (14 of 24 complete months so far)."
        ),
        "revenue_365d": (
            "$20,000 more net revenue over the last 12 months (currently $80,000; needs $100,000)."
        ),
        "volatility_monthly_cv": (
            "Monthly revenue variability (CV) must be 0.35 or lower (currently 0.52)."
        ),
        "low_volume_months_12m": (
            "2 fewer low-volume months in the last 12 (currently 3; at most 1)."
        ),
    }


def test_sba_uses_the_stricter_dispute_limit() -> None:
    inputs = dataclasses.replace(QUALIFIES_FOR_ALL, dispute_ratio_visa_3m=0.007)
    options = _options(inputs)
    assert options["merchant_cash_advance"].eligible
    assert _unmet_messages(options["sba_term_loan"]) == {
        "worst_dispute_ratio": "Dispute ratio must fall below 0.65% (currently 0.7%)."
    }


def test_missing_dispute_ratio_is_not_met() -> None:
    no_ratio = dataclasses.replace(
        QUALIFIES_FOR_ALL, dispute_ratio_visa_month=None, dispute_ratio_mc_3m=None
    )
    mca = _options(no_ratio)["merchant_cash_advance"]
    assert _unmet_messages(mca) == {
        "worst_dispute_ratio": "Dispute ratio can't be measured yet (no recent charges)."
    }


def test_messages_use_the_business_currency() -> None:
    inputs = dataclasses.replace(QUALIFIES_FOR_ALL, revenue_365d=380_000)
    mca = _options(inputs, "eur")["merchant_cash_advance"]
    assert _unmet_messages(mca)["revenue_365d"] == (
        "€1,200 more net revenue over the last 12 months (currently €3,800; needs €5,000)."
    )
    assert {u.criterion: u.required for u in mca.unmet}["revenue_365d"] == 500_000


def test_threshold_keys_are_all_understood() -> None:
    known = {
        "min_months_history",
        "min_annual_revenue",
        "min_avg_monthly_revenue_3m",
        "min_months_above_10k",
        "min_growth",
        "min_revenue_trend",
        "max_top_customer_share",
        "max_monthly_cv",
        "max_low_volume_months",
        "max_dispute_ratio",
    }
    for spec in FUNDING_CRITERIA.values():
        assert set(spec.thresholds) <= known
        assert ("min_avg_monthly_revenue_3m" in spec.thresholds) == (
            "min_months_above_10k" in spec.thresholds
        )


def test_a_sustained_decline_blocks_the_bank_and_sba_but_not_a_cash_advance() -> None:
    falling = _options(dataclasses.replace(QUALIFIES_FOR_ALL, revenue_trend_12m=-0.34))
    assert falling["merchant_cash_advance"].eligible
    for kind in ("bank_line_of_credit", "sba_term_loan"):
        unmet = _unmet_messages(falling[kind])
        assert list(unmet) == ["revenue_trend_12m"], kind
        assert "currently -34%" in unmet["revenue_trend_12m"]


def test_one_client_above_half_of_revenue_blocks_all_but_a_cash_advance() -> None:
    options = _options(dataclasses.replace(QUALIFIES_FOR_ALL, top_customer_share=0.63))
    assert [kind for kind, option in options.items() if option.eligible] == [
        "merchant_cash_advance"
    ]
    assert "currently 63%" in _unmet_messages(options["sba_term_loan"])["top_customer_share"]
