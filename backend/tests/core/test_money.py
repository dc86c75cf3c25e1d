"""Amounts in minor units, written as whole major units with the currency's symbol or code."""

import pytest

from app.core.money import format_major, format_money, to_major, to_minor


def test_money_is_whole_major_units_with_a_symbol_or_the_code() -> None:
    assert format_money(1_234_000, "usd") == "$12,340"
    assert format_money(1_234_000, "EUR") == "€12,340"
    assert format_money(1_234_000, "sek") == "12,340 SEK"
    assert format_money(-50_000, "usd") == "-$500"
    assert format_money(-40, "usd") == "$0"
    assert format_money(42_000, "jpy") == "¥42,000"


@pytest.mark.parametrize(("currency", "units"), [("jpy", 1), ("usd", 100), ("kwd", 1000)])
def test_thresholds_in_major_units_convert_per_currency(currency: str, units: int) -> None:
    assert to_minor(10_000, currency) == 10_000 * units
    assert to_major(15_000 * units, currency) == 15_000
    assert format_major(10_000, currency) == format_money(10_000 * units, currency)
