"""Trend, seasonality and year-over-year growth of a monthly revenue series: pure functions.

Readiness model 1.0 read a seasonal retailer's September-November against June-August as
+163% growth (the same months a year earlier gave +14%), and a meal-kit business whose
revenue fell 45% in a year as "consistent" (monthly CV 0.17, because the fall was smooth).
These functions give the model the figures a funding analyst would use instead:

- growth year over year, once the same 3 months a year earlier exist (15 full months);
- the strength of the 12-month pattern (needs two full years to tell a season from a trend);
- the revenue trend: the year-over-year change of the last 3 to 6 months when it exists,
  else the fitted line over the last 6-12 months extended to a year (which cannot correct
  for seasons);
- volatility measured around the trend (and the season, when there is one), so neither a
  smooth decline nor a regular season reads as "steady".

Series are full calendar months of net revenue in minor units, oldest first.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

# About two cycles: with one, a season and a trend look the same. 22 months see 10 of the 12
# calendar months twice (a business two years old has 23 or 24 complete months).
SEASONALITY_MIN_MONTHS: Final = 22
# Strength of the 12-month pattern (1 - var(remainder) / var(detrended)) at or above which a
# business counts as seasonal. With 24 months of pure noise the strength averages about 0.48
# (each month-of-year mean is the mean of 2 values) with a spread of about 0.1, so 0.8 is
# about three spreads above chance; a gift retailer with a Q4 peak measures above 0.9.
SEASONAL_STRENGTH_MIN: Final = 0.8
# Trend and volatility need six months: a line through 3 points leaves 1 degree of freedom,
# which would make almost any young business look perfectly steady.
TREND_MIN_MONTHS: Final = 6
TREND_WINDOW_MONTHS: Final = 12
TREND_YOY_MONTHS: Final = 6
# Relative changes are clamped: a business cannot shrink past -100%, and +1,000% says all.
_CHANGE_MIN, _CHANGE_MAX = -1.0, 10.0


@dataclass(frozen=True, slots=True)
class SeriesFigures:
    growth_yoy: float | None  # last 3 full months vs the same 3 a year earlier
    seasonality_strength: float | None  # 0-1; None under SEASONALITY_MIN_MONTHS
    seasonal: bool  # strength >= SEASONAL_STRENGTH_MIN (season removed before the trend)
    revenue_trend_12m: float | None  # change over a year: YoY, else the fitted line
    volatility_detrended_cv: float | None  # std of residuals around trend (+season) / mean
    trend_months: int  # months the trend line and the volatility were measured over


def _clamp(x: float) -> float:
    return min(_CHANGE_MAX, max(_CHANGE_MIN, x))


def relative_change(current: float, previous: float) -> float | None:
    if previous <= 0:
        return None
    return _clamp((current - previous) / previous)


def growth_yoy(values: Sequence[int], months: int = 3) -> float | None:
    """Last ``months`` months against the same months a year earlier (None without them)."""
    if len(values) < 12 + months:
        return None
    return relative_change(sum(values[-months:]), sum(values[-12 - months : -12]))


def trend_yoy(values: Sequence[int]) -> float | None:
    """Year over year over as many of the last 6 months as have a year-earlier match.

    Six months rather than three for the trend: with 10% monthly noise a 3-month comparison
    wanders by about 8% (a false "sustained decline" one time in ten), a 6-month one by 6%.
    """
    months = min(TREND_YOY_MONTHS, len(values) - 12)
    return growth_yoy(values, months) if months >= 3 else None


def _line(ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares intercept (at index 0) and slope per index."""
    n = len(ys)
    mean_x = (n - 1) / 2
    mean_y = statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in range(n))
    slope = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(ys)) / sxx
    return mean_y - slope * mean_x, slope


@dataclass(frozen=True, slots=True)
class SeasonalProfile:
    strength: float | None  # None under SEASONALITY_MIN_MONTHS
    offsets: list[float]  # the season of each month of the series (0 where unmeasured)
    measured: list[bool]  # its calendar month was seen at least twice


def seasonal_profile(values: Sequence[int]) -> SeasonalProfile:
    """Strength of the 12-month pattern and the seasonal offset of each month in ``values``.

    Over the last 36 months at most: a straight line removes the trend, the mean of each
    calendar month (centred on zero) is the season, and the strength is
    ``max(0, 1 - var(remainder) / var(detrended))`` (Hyndman and Athanasopoulos, FPP3 4.3),
    over the months whose calendar month was seen at least twice: a month seen once would be
    its own season, with no remainder, and would make any business look seasonal.
    """
    n = len(values)
    if n < SEASONALITY_MIN_MONTHS:
        return SeasonalProfile(None, [0.0] * n, [False] * n)
    window = [float(v) for v in values[-36:]]
    size = len(window)
    intercept, slope = _line(window)
    detrended = [y - (intercept + slope * x) for x, y in enumerate(window)]
    # Calendar position counted from the newest month, so it is the same for any length.
    position = [(size - 1 - x) % 12 for x in range(size)]
    groups: dict[int, list[float]] = {}
    for x, d in enumerate(detrended):
        groups.setdefault(position[x], []).append(d)
    twice = {k for k, g in groups.items() if len(g) >= 2}
    centre = statistics.fmean(statistics.fmean(groups[k]) for k in twice)
    season = {k: statistics.fmean(groups[k]) - centre for k in twice}
    kept = [x for x in range(size) if position[x] in twice]
    detrended_kept = [detrended[x] for x in kept]
    remainder = [detrended[x] - season[position[x]] for x in kept]
    total = statistics.pvariance(detrended_kept)
    strength = 0.0 if total <= 0 else max(0.0, 1 - statistics.pvariance(remainder) / total)
    offsets = [season.get((n - 1 - i) % 12, 0.0) for i in range(n)]
    measured = [(n - 1 - i) % 12 in twice and i >= n - size for i in range(n)]
    return SeasonalProfile(strength, offsets, measured)


def analyse(values: Sequence[int]) -> SeriesFigures:
    """Every series figure the readiness model reads (see the module docstring)."""
    n = len(values)
    profile = seasonal_profile(values)
    strength = profile.strength
    seasonal = strength is not None and strength >= SEASONAL_STRENGTH_MIN
    adjusted: list[float] = [float(v) for v in values]
    counted = [True] * n
    if seasonal:
        adjusted = [v - s for v, s in zip(values, profile.offsets, strict=True)]
        # A month whose season is unmeasured keeps it, so it is left out of the volatility.
        counted = profile.measured
    yoy = growth_yoy(values)
    m = min(n, TREND_WINDOW_MONTHS)
    trend: float | None = trend_yoy(values)
    cv: float | None = None
    if m >= TREND_MIN_MONTHS:
        window = adjusted[-m:]
        intercept, slope = _line(window)
        residuals = [
            y - (intercept + slope * x) for x, y in enumerate(window) if counted[n - m + x]
        ]
        mean = statistics.fmean(values[-m:])
        cv = None if mean <= 0 else statistics.pstdev(residuals) / mean
        if trend is None:
            # The fitted line's change over a year, relative to where it starts.
            if intercept > 0:
                trend = _clamp(slope * 12 / intercept)
            else:
                trend = _CHANGE_MAX if slope > 0 else _CHANGE_MIN if slope < 0 else 0.0
    return SeriesFigures(
        growth_yoy=yoy,
        seasonality_strength=None if strength is None else round(strength, 4),
        seasonal=seasonal,
        revenue_trend_12m=trend,
        volatility_detrended_cv=cv,
        trend_months=m if m >= TREND_MIN_MONTHS else 0,
    )
