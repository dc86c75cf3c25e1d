"""Money per currency class: zero-decimal (JPY), two-decimal (USD) and three-decimal (KWD).

Stripe counts BHD, JOD, KWD, OMR and TND in thousandths; dividing them by 100 made every
money threshold ten times easier to meet.
"""

import dataclasses

import pytest

from app.core.iso import THREE_DECIMAL_CURRENCIES, ZERO_DECIMAL_CURRENCIES, minor_per_major
from app.core.money import format_money, to_major, to_minor
from app.metrics.readiness.inputs import ReadinessInputs
from app.metrics.readiness.scoring import compute_readiness
from tests.metrics.monthly import inputs_for_months
from tests.metrics.readiness.test_scoring import HEALTHY_SAAS

# (currency, minor units per major unit)
CLASSES = [("jpy", 1), ("usd", 100), ("kwd", 1000)]
MONEY_FIELDS = (
    "revenue_30d",
    "revenue_90d",
    "revenue_365d",
    "revenue_all_time",
    "avg_monthly_revenue_3m",
    "avg_charge_amount",
)


def test_three_decimal_currencies_are_stripes_five() -> None:
    assert frozenset({"bhd", "jod", "kwd", "omr", "tnd"}) == THREE_DECIMAL_CURRENCIES
    assert not THREE_DECIMAL_CURRENCIES & ZERO_DECIMAL_CURRENCIES
    for code in THREE_DECIMAL_CURRENCIES:
        assert minor_per_major(code) == 1000
        assert minor_per_major(code.upper()) == 1000


@pytest.mark.parametrize(("currency", "units"), CLASSES)
def test_conversions_and_formatting(currency: str, units: int) -> None:
    assert minor_per_major(currency) == units
    assert to_minor(10_000, currency) == 10_000 * units
    assert to_major(15_000 * units, currency) == 15_000
    assert format_money(12_340 * units, currency).replace("¥", "").replace("$", "") in (
        "12,340",
        "12,340 KWD",
    )


def _in(currency: str, units: int) -> ReadinessInputs:
    """HEALTHY_SAAS with the same major amounts in `currency`."""
    changes = {
        name: None
        if getattr(HEALTHY_SAAS, name) is None
        else getattr(HEALTHY_SAAS, name) * units // 100
        for name in MONEY_FIELDS
    }
    return dataclasses.replace(HEALTHY_SAAS, **changes)


@pytest.mark.parametrize(("currency", "units"), CLASSES)
def test_the_same_major_amounts_score_the_same_in_every_class(currency: str, units: int) -> None:
    usd = compute_readiness(HEALTHY_SAAS, "usd")
    other = compute_readiness(_in(currency, units), currency)
    assert other.score == usd.score
    assert {k: c.score for k, c in other.components.items()} == {
        k: c.score for k, c in usd.components.items()
    }
    rbf = next(o for o in other.funding_options if o.type == "revenue_based_financing")
    revenue = next(c for c in rbf.criteria if c.criterion == "avg_monthly_revenue_3m")
    assert revenue.required == 15_000 * units


def test_a_kwd_business_is_not_ten_times_richer() -> None:
    # 4,200 KWD a month is 4,200,000 fils: below the 10,000/month floor, not 42,000 above it.
    inputs = dataclasses.replace(
        HEALTHY_SAAS, avg_monthly_revenue_3m=4_200_000, months_above_10k_last_6=2
    )
    result = compute_readiness(inputs, "kwd")
    assert result.components["revenue"].display == "4,200 KWD/month"
    rbf = next(o for o in result.funding_options if o.type == "revenue_based_financing")
    assert not next(c for c in rbf.criteria if c.criterion == "avg_monthly_revenue_3m").met


@pytest.mark.parametrize(("currency", "units"), CLASSES)
def test_snapshot_months_at_the_lender_level_per_class(currency: str, units: int) -> None:
    # 12,000 major units a month clears the 10,000 level in every class; 8,000 never does.
    high = inputs_for_months([12_000 * units] * 8, currency=currency)
    low = inputs_for_months([8_000 * units] * 8, currency=currency)
    assert high.months_above_10k_last_6 == 6
    assert low.months_above_10k_last_6 == 0
