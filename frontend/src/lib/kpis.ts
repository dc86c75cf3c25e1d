/**
 * The overview's KPI tiles from GET /metrics/history (daily): the last 30 days against the 30
 * before, as Stripe's home page compares a period with the previous one of the same length.
 * Ratios are compared in percentage points (1.2% -> 0.8% is "−0.40 pp"), since a relative change
 * of a small ratio ("−33%") overstates it.
 */
import type { Schemas } from "./api";
import { formatChange, formatPercent } from "./format";
import { formatMoney } from "./money";

export type DailyPoint = Pick<
  Schemas["MetricPoint"],
  "period_start" | "gross_volume" | "net_volume" | "charge_count" | "refund_amount" | "dispute_count"
>;

export const KPI_DAYS = 30;
/** Ratio sparklines use a trailing window: a single day's ratio is mostly 0 with spikes. */
const RATIO_SMOOTHING_DAYS = 7;

export type KpiKey = "gross_volume" | "net_volume" | "dispute_ratio" | "refund_rate";

export interface Kpi {
  key: KpiKey;
  label: string;
  /** The figure for the last 30 days, formatted; "—" when there is nothing to divide by. */
  value: string;
  /** "+12.3%" / "−0.40 pp" / "—" against the previous 30 days. */
  change: string;
  /** Whether the change is good news: volume up, disputes and refunds down. */
  direction: "good" | "bad" | "flat";
  /** One value per day for the sparkline, oldest first. */
  series: number[];
  /** What the sparkline plots, for screen readers. */
  seriesLabel: string;
}

interface Totals {
  gross: number;
  net: number;
  charges: number;
  refunds: number;
  disputes: number;
}

function totals(points: DailyPoint[]): Totals {
  const sum: Totals = { gross: 0, net: 0, charges: 0, refunds: 0, disputes: 0 };
  for (const point of points) {
    sum.gross += point.gross_volume;
    sum.net += point.net_volume;
    sum.charges += point.charge_count;
    sum.refunds += point.refund_amount;
    sum.disputes += point.dispute_count;
  }
  return sum;
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/** "+0.40 pp" / "−0.12 pp" / "0.00 pp"; "—" when either side has no base. */
export function formatPointChange(current: number | null, previous: number | null): string {
  if (current === null || previous === null) return "—";
  const points = (current - previous) * 100;
  const rounded = Math.abs(points).toFixed(2);
  if (rounded === "0.00") return "0.00 pp";
  return `${points > 0 ? "+" : "−"}${rounded} pp`;
}

function direction(current: number | null, previous: number | null, upIsGood: boolean) {
  if (current === null || previous === null || current === previous) return "flat" as const;
  return current > previous === upIsGood ? ("good" as const) : ("bad" as const);
}

function trailingRatio(
  points: DailyPoint[],
  part: (point: DailyPoint) => number,
  whole: (point: DailyPoint) => number,
): number[] {
  return points.map((_, index) => {
    const window = points.slice(Math.max(0, index - RATIO_SMOOTHING_DAYS + 1), index + 1);
    const total = window.reduce((sum, point) => sum + whole(point), 0);
    return total > 0 ? window.reduce((sum, point) => sum + part(point), 0) / total : 0;
  });
}

/**
 * The four tiles from a daily series (oldest first, as the API returns it). Uses the last 60
 * points: 30 current, 30 previous; a shorter series compares what it has.
 */
export function kpisFromHistory(points: DailyPoint[], currency: string): Kpi[] {
  const recent = points.slice(-KPI_DAYS);
  const earlier = points.slice(-2 * KPI_DAYS, -KPI_DAYS);
  const now = totals(recent);
  const before = totals(earlier);
  const hasBefore = earlier.length > 0;

  const moneyKpi = (
    key: KpiKey,
    label: string,
    pick: (t: Totals) => number,
    daily: (p: DailyPoint) => number,
  ): Kpi => {
    // Nothing before (or zero) leaves no base to compare with: no change, no colour.
    const previous = hasBefore && pick(before) !== 0 ? pick(before) : null;
    return {
      key,
      label,
      value: formatMoney(pick(now), currency),
      change: previous === null ? "—" : formatChange(pick(now), previous),
      direction: direction(pick(now), previous, true),
      series: recent.map(daily),
      seriesLabel: `${label} per day`,
    };
  };

  const ratioKpi = (
    key: KpiKey,
    label: string,
    part: (t: Totals) => number,
    whole: (t: Totals) => number,
    dailyPart: (p: DailyPoint) => number,
    dailyWhole: (p: DailyPoint) => number,
  ): Kpi => {
    const current = ratio(part(now), whole(now));
    const previous = hasBefore ? ratio(part(before), whole(before)) : null;
    return {
      key,
      label,
      value: formatPercent(current),
      change: formatPointChange(current, previous),
      direction: direction(current, previous, false),
      series: trailingRatio(points, dailyPart, dailyWhole).slice(-recent.length),
      seriesLabel: `${label}, trailing ${RATIO_SMOOTHING_DAYS} days`,
    };
  };

  return [
    moneyKpi("gross_volume", "Gross volume", (t) => t.gross, (p) => p.gross_volume),
    moneyKpi("net_volume", "Net volume", (t) => t.net, (p) => p.net_volume),
    ratioKpi(
      "dispute_ratio",
      "Dispute ratio",
      (t) => t.disputes,
      (t) => t.charges,
      (p) => p.dispute_count,
      (p) => p.charge_count,
    ),
    ratioKpi(
      "refund_rate",
      "Refund rate",
      (t) => t.refunds,
      (t) => t.gross,
      (p) => p.refund_amount,
      (p) => p.gross_volume,
    ),
  ];
}

/** The first day of the 60-day window ending `today` (UTC), as the API's `start_date`. */
export function historyStart(today: Date = new Date()): string {
  const start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
  start.setUTCDate(start.getUTCDate() - (2 * KPI_DAYS - 1));
  return start.toISOString().slice(0, 10);
}

/** Sparkline path points in a `width` x `height` box (y grows downward), min at the bottom. */
export function sparklinePoints(series: number[], width: number, height: number, pad = 2): string {
  if (series.length === 0) return "";
  const min = Math.min(...series);
  const max = Math.max(...series);
  const span = max - min || 1;
  const step = series.length > 1 ? width / (series.length - 1) : 0;
  return series
    .map((value, index) => {
      const x = series.length > 1 ? index * step : width / 2;
      const y = max === min ? height / 2 : pad + (1 - (value - min) / span) * (height - 2 * pad);
      return `${x.toFixed(1)},${y.toFixed(1)}`;
    })
    .join(" ");
}
