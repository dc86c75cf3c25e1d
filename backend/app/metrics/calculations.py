"""Snapshot metrics from daily rollups: pure functions, one definition per metric.

Windows are relative to `as_of` (the UTC day of the computation; it is still in progress):

- trailing N days: the N days ending with `as_of`;
- complete months: calendar months that ended before `as_of`'s month. Monthly metrics only
  use *full history months*, months that started on or after the first successful charge,
  so a business that started mid-month is not judged on half a month;
- complete weeks: Monday-Sunday weeks that ended before `as_of`, within history.

Revenue is net volume: successful charges, minus refunds (on the day they were made), minus
disputed amounts not won back (on the day the dispute opened). Everything is in the
business currency; see `app.stripe.ledger` for the conversion rule.
"""

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.core.money import to_minor
from app.metrics import series
from app.metrics.readiness.model import (
    GROWTH_MIN_MONTHS,
    GROWTH_QOQ_MIN_MONTHS,
    RBF_MIN_MONTHLY_REVENUE,
)
from app.metrics.rollup import DayRollup
from app.stripe.ledger import CustomerFigures

LOW_VOLUME_SHARE_OF_MEDIAN = 0.5
MIN_MONTHS_FOR_CV = 3
MIN_WEEKS_FOR_CV = 4
# Full months read for the trend, the season and year-over-year growth: three years at most.
SERIES_MONTHS = 36
FRAUD_REASONS = frozenset({"fraudulent", "unrecognized"})

Metrics = dict[str, dict[str, Any]]


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return add_months(month, 1) - timedelta(days=1)


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def interval(start: date, end: date) -> str:
    """An ISO 8601 interval of days, e.g. ``2025-07-01/2025-09-30``."""
    return f"{start.isoformat()}/{end.isoformat()}"


def complete_months_between(first: date, as_of: date) -> int:
    """Whole months from `first` to `as_of`: Jan 15 -> Apr 14 is 2, -> Apr 15 is 3."""
    months = (as_of.year - first.year) * 12 + as_of.month - first.month
    return max(0, months - (1 if as_of.day < first.day else 0))


@dataclass(frozen=True)
class _Totals:
    gross: int = 0
    net: int = 0
    charges: int = 0
    converted_charges: int = 0
    unconverted: int = 0
    refund_amount: int = 0
    refund_count: int = 0
    disputes: int = 0
    payouts_paid: int = 0
    payouts_failed: int = 0
    arrival_days: int = 0
    arrival_count: int = 0


def _totals(rows: Iterable[DayRollup]) -> _Totals:
    sums: dict[str, int] = defaultdict(int)
    for row in rows:
        sums["gross"] += row.gross_volume
        sums["net"] += row.net_volume
        sums["charges"] += row.charge_count
        sums["converted_charges"] += row.charge_count - row.unconverted_charge_count
        sums["unconverted"] += row.unconverted_charge_count
        sums["refund_amount"] += row.refund_amount
        sums["refund_count"] += row.refund_count
        sums["disputes"] += row.dispute_count
        sums["payouts_paid"] += row.payouts_paid_count
        sums["payouts_failed"] += row.payouts_failed_count
        sums["arrival_days"] += row.payout_arrival_days
        sums["arrival_count"] += row.payout_arrival_count
    return _Totals(**sums)


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator <= 0 else numerator / denominator


def _cv(values: Sequence[int], minimum: int) -> float | None:
    """Coefficient of variation (population standard deviation / mean)."""
    if len(values) < minimum:
        return None
    mean = statistics.fmean(values)
    return None if mean <= 0 else statistics.pstdev(values) / mean


def _growth(current: int, previous: int) -> float | None:
    rate = _ratio(current - previous, previous)
    # Net revenue can turn negative (refunds above sales); a business can't shrink past -100%.
    return None if rate is None else max(-1.0, rate)


def first_charge_day(rollups: Iterable[DayRollup]) -> date | None:
    """The day of the first successful charge: where the processing history starts."""
    return min((row.day for row in rollups if row.charge_count > 0), default=None)


def customer_window(first_day: date | None, as_of: date) -> tuple[date, date]:
    """Trailing twelve complete months; month-to-date for a business that started this month."""
    current = month_start(as_of)
    if first_day is not None and first_day >= current:
        return first_day, as_of
    start = add_months(current, -12)
    return (max(start, first_day) if first_day else start), current - timedelta(days=1)


class _Builder:
    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.metrics: Metrics = {}

    def add(self, name: str, value: Any, window: str, unit: str) -> None:
        entry: dict[str, Any] = {"value": value, "window": window, "unit": unit}
        if unit == "money":
            entry["currency"] = self.currency
        self.metrics[name] = entry


def compute_snapshot_metrics(
    rollups: Sequence[DayRollup],
    *,
    as_of: date,
    currency: str,
    customers: CustomerFigures | None,
) -> Metrics:
    """Every snapshot metric, keyed by name (the `ReadinessInputs` fields among them)."""
    rows = [row for row in rollups if row.day <= as_of]
    by_month: dict[date, list[DayRollup]] = defaultdict(list)
    for row in rows:
        by_month[month_start(row.day)].append(row)
    out = _Builder(currency)

    def window(start: date, end: date = as_of) -> list[DayRollup]:
        return [row for row in rows if start <= row.day <= end]

    first_day = first_charge_day(rows)
    days_of_history = 0 if first_day is None else (as_of - first_day).days + 1
    out.add("days_of_history", days_of_history, "all_time", "days")
    out.add(
        "months_of_history",
        0 if first_day is None else complete_months_between(first_day, as_of),
        "all_time",
        "months",
    )
    out.add("history_start", first_day.isoformat() if first_day else None, "all_time", "date")

    for days in (30, 90, 365):
        start = as_of - timedelta(days=days - 1)
        out.add(f"revenue_{days}d", _totals(window(start)).net, interval(start, as_of), "money")
    out.add("revenue_all_time", _totals(rows).net, "all_time", "money")

    # Complete calendar months, newest first, and which of them are full history months.
    current = month_start(as_of)
    months = [add_months(current, -offset) for offset in range(1, 13)]
    monthly = {m: _totals(by_month.get(m, ())) for m in months}
    first_full = None
    if first_day is not None:
        first_full = first_day if first_day.day == 1 else add_months(month_start(first_day), 1)
    full = [m for m in months if first_full is not None and m >= first_full]

    last3 = full[:3]
    if last3:
        avg_3m = round(sum(monthly[m].net for m in last3) / len(last3))
        avg_window = interval(last3[-1], month_end(last3[0]))
    elif first_day is not None:
        # No full month yet: the monthly run rate of the history so far.
        avg_3m = round(_totals(rows).net * 30 / max(days_of_history, 30))
        avg_window = interval(first_day, as_of)
    else:
        avg_3m, avg_window = 0, "3_complete_months"
    out.add("avg_monthly_revenue_3m", avg_3m, avg_window, "money")

    level = to_minor(RBF_MIN_MONTHLY_REVENUE, currency)
    last6 = months[:6]
    out.add(
        "months_above_10k_last_6",
        sum(1 for m in last6 if m in full and monthly[m].net >= level),
        interval(last6[-1], month_end(last6[0])),
        "months",
    )

    growth_mom = None
    if len(full) >= GROWTH_MIN_MONTHS:
        growth_mom = _growth(monthly[full[0]].net, monthly[full[1]].net)
    out.add("growth_mom", growth_mom, interval(months[1], month_end(months[0])), "ratio")
    growth_3m = None
    if len(full) >= GROWTH_QOQ_MIN_MONTHS:
        growth_3m = _growth(
            sum(monthly[m].net for m in full[:3]), sum(monthly[m].net for m in full[3:6])
        )
    out.add("growth_3m", growth_3m, interval(months[5], month_end(months[0])), "ratio")

    # The longer series (oldest first) behind trend, seasonality and year-over-year growth.
    older = [add_months(current, -offset) for offset in range(SERIES_MONTHS, 0, -1)]
    series_net = [
        _totals(by_month.get(m, ())).net
        for m in older
        if first_full is not None and m >= first_full
    ]
    out.add("full_months", len(series_net), interval(older[0], month_end(older[-1])), "months")
    figures = series.analyse(series_net)
    out.add(
        "growth_yoy",
        figures.growth_yoy,
        interval(add_months(current, -15), month_end(months[0])),
        "ratio",
    )
    series_window = interval(add_months(current, -max(1, len(series_net))), month_end(months[0]))
    out.add("seasonality_strength", figures.seasonality_strength, series_window, "ratio")
    yoy_months = min(series.TREND_YOY_MONTHS, len(series_net) - 12)
    trend_start = add_months(current, -(12 + yoy_months if yoy_months >= 3 else 12))
    out.add(
        "revenue_trend_12m",
        figures.revenue_trend_12m,
        interval(trend_start, month_end(months[0])),
        "ratio",
    )
    out.add(
        "volatility_detrended_cv",
        figures.volatility_detrended_cv,
        interval(add_months(current, -12), month_end(months[0])),
        "cv",
    )

    year_window = interval(months[-1], month_end(months[0]))
    full_net = [monthly[m].net for m in full]
    out.add("volatility_monthly_cv", _cv(full_net, MIN_MONTHS_FOR_CV), year_window, "cv")
    out.add("low_volume_months_12m", _low_volume_months(full_net), year_window, "months")

    weeks: dict[date, int] = defaultdict(int)
    last_complete_week = week_start(as_of) - timedelta(days=7)
    oldest_week = last_complete_week - timedelta(weeks=51)
    if first_day is not None:
        for week in _weeks(oldest_week, last_complete_week):
            if week >= first_day:
                weeks[week] = 0
        for row in rows:
            week = week_start(row.day)
            if week in weeks:
                weeks[week] += row.net_volume
    out.add(
        "volatility_weekly_cv",
        _cv(list(weeks.values()), MIN_WEEKS_FOR_CV),
        interval(oldest_week, last_complete_week + timedelta(days=6)),
        "cv",
    )

    _dispute_metrics(out, monthly, months)

    start_90 = as_of - timedelta(days=89)
    window_90 = interval(start_90, as_of)
    last_90 = window(start_90)
    t90 = _totals(last_90)
    out.add("refund_rate_amount", _ratio(t90.refund_amount, t90.gross), window_90, "ratio")
    out.add("refund_rate_count", _ratio(t90.refund_count, t90.charges), window_90, "ratio")
    payouts_90 = t90.payouts_paid + t90.payouts_failed
    out.add("payouts_count_90d", payouts_90, window_90, "count")
    out.add("payout_failure_rate_90d", _ratio(t90.payouts_failed, payouts_90), window_90, "ratio")
    out.add(
        "payout_avg_arrival_delay_days",
        _ratio(t90.arrival_days, t90.arrival_count),
        window_90,
        "days",
    )
    average = _ratio(t90.gross, t90.converted_charges)
    out.add("avg_charge_amount", None if average is None else round(average), window_90, "money")
    out.add("gross_volume_90d", t90.gross, window_90, "money")
    out.add("charge_count_90d", t90.charges, window_90, "count")
    out.add("disputes_by_reason_90d", _reasons(last_90), window_90, "count")
    out.add("fraud_dispute_share_90d", _fraud_share(last_90), window_90, "ratio")

    start_365 = as_of - timedelta(days=364)
    out.add(
        "unconverted_charges_365d",
        _totals(window(start_365)).unconverted,
        interval(start_365, as_of),
        "count",
    )
    _customer_metrics(out, customers, rows)
    return out.metrics


def _weeks(first: date, last: date) -> Iterable[date]:
    week = first
    while week <= last:
        yield week
        week += timedelta(weeks=1)


def _low_volume_months(net_by_month: Sequence[int]) -> int:
    """Months at or below zero, or (with 3+ months to compare) under half the median month."""
    if len(net_by_month) < MIN_MONTHS_FOR_CV:
        return sum(1 for net in net_by_month if net <= 0)
    floor = statistics.median(net_by_month) * LOW_VOLUME_SHARE_OF_MEDIAN
    return sum(1 for net in net_by_month if net <= 0 or net < floor)


def _dispute_metrics(
    out: _Builder, monthly: Mapping[date, _Totals], months: Sequence[date]
) -> None:
    """Chargeback ratios by count over complete calendar months.

    Visa-style: disputes opened in a month / successful charges in the same month.
    Mastercard-style: the same disputes / successful charges in the month before.
    """
    m1, m2, m3, m4 = months[0], months[1], months[2], months[3]
    month_window = interval(m1, month_end(m1))
    three_window = interval(m3, month_end(m1))

    def charges(*keys: date) -> int:
        return sum(monthly[key].charges for key in keys)

    def disputes(*keys: date) -> int:
        return sum(monthly[key].disputes for key in keys)

    out.add("dispute_ratio_visa_month", _ratio(disputes(m1), charges(m1)), month_window, "ratio")
    out.add(
        "dispute_ratio_visa_3m",
        _ratio(disputes(m1, m2, m3), charges(m1, m2, m3)),
        three_window,
        "ratio",
    )
    out.add("dispute_ratio_mc_month", _ratio(disputes(m1), charges(m2)), month_window, "ratio")
    out.add(
        "dispute_ratio_mc_3m",
        _ratio(disputes(m1, m2, m3), charges(m2, m3, m4)),
        three_window,
        "ratio",
    )
    out.add("disputes_count_month", disputes(m1), month_window, "count")
    out.add("disputes_count_3m", disputes(m1, m2, m3), three_window, "count")


def _reasons(rows: Iterable[DayRollup]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        for reason, count in row.disputes_by_reason.items():
            totals[reason] += int(count)
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def _fraud_share(rows: Iterable[DayRollup]) -> float | None:
    reasons = _reasons(rows)
    total = sum(reasons.values())
    return _ratio(sum(reasons.get(reason, 0) for reason in FRAUD_REASONS), total)


def _customer_metrics(
    out: _Builder, customers: CustomerFigures | None, rows: Sequence[DayRollup]
) -> None:
    if customers is None:
        for name in ("top_customer_share", "top5_customer_share"):
            out.add(name, None, "trailing_12_months", "ratio")
        out.add("unique_customers_365d", 0, "trailing_12_months", "count")
        return
    window = interval(customers.start, customers.end)
    revenue = _totals(r for r in rows if customers.start <= r.day <= customers.end).gross
    top = customers.top_amounts
    out.add("top_customer_share", _ratio(top[0], revenue) if top else None, window, "ratio")
    out.add("top5_customer_share", _ratio(sum(top[:5]), revenue) if top else None, window, "ratio")
    out.add("unique_customers_365d", customers.unique_customers, window, "count")
