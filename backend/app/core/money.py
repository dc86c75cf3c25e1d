"""Amounts in a currency's minor units (as Stripe stores them) and how they read in prose.

Stripe amounts are integers in the currency's minor unit, and one major unit holds 100 of
them, 1 (JPY and the other zero-decimal currencies) or 1,000 (BHD, JOD, KWD, OMR, TND):
`app.core.iso.minor_per_major` says which. Prose shows whole major units, since a lender
reads monthly revenue, not cents: 1,234,000 minor units of USD are "$12,340".
"""

from collections.abc import Mapping
from typing import Final

from app.core.iso import minor_per_major

# Currencies written with a symbol; every other one is written with its upper-case code.
CURRENCY_SYMBOLS: Final[Mapping[str, str]] = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}


def to_major(amount_minor: float, currency: str) -> float:
    return amount_minor / minor_per_major(currency)


def to_minor(amount_major: float, currency: str) -> int:
    return round(amount_major * minor_per_major(currency))


def format_money(amount_minor: float, currency: str) -> str:
    """Whole major units: ``1234000, "usd"`` -> ``"$12,340"``; ``"sek"`` -> ``"12,340 SEK"``."""
    major = round(to_major(amount_minor, currency))
    sign = "-" if major < 0 else ""
    symbol = CURRENCY_SYMBOLS.get(currency.lower())
    if symbol is not None:
        return f"{sign}{symbol}{abs(major):,}"
    return f"{sign}{abs(major):,} {currency.upper()}"


def format_major(amount_major: float, currency: str) -> str:
    """A threshold stated in major units: ``10_000, "usd"`` -> ``"$10,000"``."""
    return format_money(to_minor(amount_major, currency), currency)
