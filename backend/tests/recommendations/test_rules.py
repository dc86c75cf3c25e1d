"""The rules as data: coverage of every component, valid targets, readable bodies."""

import string

import pytest
from hypothesis import given, settings

from app.metrics.models import MetricSnapshot
from app.metrics.readiness.inputs import OVERRIDABLE_METRICS, ReadinessInputs
from app.metrics.readiness.model import COMPONENTS
from app.metrics.readiness.scoring import compute_readiness
from app.metrics.service import ScoringContext
from app.recommendations.rules import FUNDING_RULES, RULES, Major, Rule
from app.recommendations.service import build_facts, render
from tests.metrics.readiness.test_scoring_properties import INPUTS
from tests.recommendations.conftest import HEALTHY, T0, unit_of


def context_for(**changes: object) -> ScoringContext:
    values = {**HEALTHY, **changes}
    snapshot = MetricSnapshot(
        business_id=None,
        computed_at=T0,
        as_of=T0.date(),
        currency="usd",
        metrics={k: {"value": v, "window": "test", "unit": unit_of(k)} for k, v in values.items()},
    )
    inputs = ReadinessInputs.from_mapping(values)
    return ScoringContext(
        business_id=None,  # type: ignore[arg-type]
        currency="usd",
        snapshot=snapshot,
        inputs=inputs,
        result=compute_readiness(inputs, "usd"),
    )


# One situation per rule that makes it fire.
TRIGGERS: dict[str, dict[str, object]] = {
    "dispute_ratio_excessive": {"dispute_ratio_visa_month": 0.012, "disputes_count_3m": 9},
    "dispute_ratio_early_warning": {"dispute_ratio_mc_3m": 0.007},
    "fraud_driven_disputes": {"fraud_dispute_share_90d": 0.7, "disputes_count_3m": 6},
    "refund_rate_high": {"refund_rate_amount": 0.14},
    "refund_rate_elevated": {"refund_rate_amount": 0.07},
    "payout_failures": {"payout_failure_rate_90d": 0.1},
    "payout_delays": {"payout_avg_arrival_delay_days": 4.5},
    "top_customer_concentration": {"top_customer_share": 0.4, "top5_customer_share": 0.7},
    "top5_customer_concentration": {"top5_customer_share": 0.6},
    "small_customer_base": {"unique_customers_365d": 12},
    "revenue_below_lender_minimum": {"avg_monthly_revenue_3m": 420_000},
    "sustain_revenue_level": {"months_above_10k_last_6": 2},
    "revenue_volatile": {
        "volatility_detrended_cv": 0.3,
        "volatility_monthly_cv": 0.8,
        "low_volume_months_12m": 1,
    },
    "low_volume_months": {"low_volume_months_12m": 3},
    "revenue_declining": {"growth_yoy": -0.25, "growth_3m": -0.25, "growth_mom": -0.1},
    "revenue_flat": {"growth_yoy": -0.04, "growth_3m": -0.04, "growth_mom": -0.02},
    "build_processing_history": {"days_of_history": 200, "months_of_history": 6},
    "insufficient_history": {"days_of_history": 40, "months_of_history": 1},
    # The healthy business qualifies for every product: each has its next step.
    "qualifies_merchant_cash_advance": {},
    "qualifies_revenue_based_financing": {},
    "qualifies_bank_line_of_credit": {},
    "qualifies_sba_term_loan": {},
    "unlock_next_product": {"months_of_history": 20},
}


def test_rules_cover_every_component() -> None:
    assert len(RULES) >= 12
    assert len({rule.id for rule in RULES}) == len(RULES)
    assert {rule.component for rule in RULES} == set(COMPONENTS) | {"funding"}
    assert set(TRIGGERS) == {rule.id for rule in RULES}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_targets_are_simulatable(rule: Rule) -> None:
    for target in rule.targets:
        assert target.metric in OVERRIDABLE_METRICS
    placeholders = {name for _, name, _, _ in string.Formatter().parse(rule.outcome) if name}
    # Funding next steps move no metric: they say what a lender will ask for.
    assert ("impact" in placeholders) == (rule not in FUNDING_RULES)
    for cond in rule.when:
        assert isinstance(cond.value, int | float | Major)


def test_healthy_business_gets_only_its_funding_next_steps() -> None:
    # Model 1.0 gave a healthy business no recommendation at all, not even a next step.
    facts = build_facts(context_for())
    assert [rule.id for rule in RULES if rule.matches(facts, "usd")] == [
        "qualifies_merchant_cash_advance",
        "qualifies_revenue_based_financing",
        "qualifies_bank_line_of_credit",
        "qualifies_sba_term_loan",
    ]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_each_rule_fires_and_quotes_the_numbers(rule: Rule) -> None:
    context = context_for(**TRIGGERS[rule.id])
    facts = build_facts(context)
    assert rule.matches(facts, "usd")
    content = render(rule, context, facts)
    assert "{" not in content.body
    assert "not available" not in content.body
    assert content.impact >= 0
    assert bool(content.overrides) == bool(rule.targets)
    assert content.severity is not None


def test_body_quotes_actual_numbers() -> None:
    rule = next(r for r in RULES if r.id == "revenue_below_lender_minimum")
    context = context_for(avg_monthly_revenue_3m=420_000)
    content = render(rule, context, build_facts(context))
    assert "$4,200" in content.body
    assert "$10,000" in content.body
    assert content.impact > 0
    assert f"about {content.impact} points." in content.body

    rule = next(r for r in RULES if r.id == "dispute_ratio_excessive")
    context = context_for(dispute_ratio_visa_month=0.018, disputes_count_3m=14)
    content = render(rule, context, build_facts(context))
    assert "1.8%" in content.body
    assert "14 disputes" in content.body
    assert "0.5%" in content.body
    # Only the ratios above the target move; a better one is never made worse.
    assert content.overrides["dispute_ratio_visa_month"] == 0.005
    assert content.overrides["dispute_ratio_mc_month"] == 0.001


def test_material_worsening() -> None:
    higher = next(r for r in RULES if r.worse == "higher")
    assert not higher.materially_worse(0.12, 0.14)
    assert higher.materially_worse(0.12, 0.15)
    lower = next(r for r in RULES if r.worse == "lower")
    assert not lower.materially_worse(400_000, 320_000)
    assert lower.materially_worse(400_000, 300_000)
    assert not higher.materially_worse(None, 0.3)


@settings(max_examples=100, database=None, deadline=None)
@given(inputs=INPUTS)
def test_every_business_with_a_score_has_a_next_step(inputs: ReadinessInputs) -> None:
    # All products open: what each lender will ask for; otherwise: what unlocks the next one.
    values = {name: getattr(inputs, name) for name in inputs.__dataclass_fields__}
    snapshot = MetricSnapshot(
        business_id=None,
        computed_at=T0,
        as_of=T0.date(),
        currency="usd",
        metrics={k: {"value": v, "window": "test", "unit": unit_of(k)} for k, v in values.items()},
    )
    context = ScoringContext(
        business_id=None,  # type: ignore[arg-type]
        currency="usd",
        snapshot=snapshot,
        inputs=inputs,
        result=compute_readiness(inputs, "usd"),
    )
    facts = build_facts(context)
    fired = [rule for rule in FUNDING_RULES if rule.matches(facts, "usd")]
    assert fired
    for rule in fired:
        content = render(rule, context, facts)
        assert "{" not in content.body
