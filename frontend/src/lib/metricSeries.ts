/**
 * The metrics page's view (granularity and date range, kept in the URL) and the series its
 * charts draw, derived from GET /metrics/history points and GET /readiness/history.
 */
import type { Schemas } from "./api";

export type Granularity = Schemas["Granularity"];
export type MetricPoint = Schemas["MetricPoint"];
export type ScoreItem = Schemas["ReadinessHistoryItem"];

export interface View {
  granularity: Granularity;
  start: string; // YYYY-MM-DD, UTC days as the API counts them
  end: string;
}

/** The longest range the API serves per granularity (HISTORY_MAX_DAYS in metrics/service.py). */
export const MAX_DAYS: Record<Granularity, number> = { day: 366, week: 1113, month: 3660 };
// A first visit: 3 months of days, a year of weeks, two years of months.
const DEFAULT_DAYS: Record<Granularity, number> = { day: 90, week: 364, month: 730 };
const DAY_MS = 86_400_000;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function addDays(day: string, days: number): string {
  return isoDay(new Date(Date.parse(day) + days * DAY_MS));
}

function validDay(value: string | null): string | null {
  return value && ISO_DAY.test(value) && !Number.isNaN(Date.parse(value)) ? value : null;
}

function isGranularity(value: string | null): value is Granularity {
  return value === "day" || value === "week" || value === "month";
}

/** Keeps the range one the API serves: start on or before end, no longer than the maximum. */
export function fitView(view: View): View {
  const longest = addDays(view.end, -(MAX_DAYS[view.granularity] - 1));
  const start = view.start > view.end ? view.end : view.start < longest ? longest : view.start;
  return { ...view, start };
}

/** The view a URL asks for; what is missing or malformed takes its default (ending today, UTC). */
export function viewFromSearch(search: string, today: string = isoDay(new Date())): View {
  const params = new URLSearchParams(search);
  const asked = params.get("granularity");
  const granularity = isGranularity(asked) ? asked : "month";
  const end = validDay(params.get("end")) ?? today;
  const start = validDay(params.get("start")) ?? addDays(end, -(DEFAULT_DAYS[granularity] - 1));
  return fitView({ granularity, start, end });
}

/** The query string with the view set, other parameters (business_id) kept. */
export function searchWithView(search: string, view: View): string {
  const params = new URLSearchParams(search);
  params.set("granularity", view.granularity);
  params.set("start", view.start);
  params.set("end", view.end);
  return `?${params}`;
}

export function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

export type Values = (number | null)[];

/** Each chart's lines, one value per period (null where a ratio has no base). */
export interface HistorySeries {
  days: string[];
  gross: Values;
  net: Values;
  refundRate: Values;
  disputeVisa: Values;
  disputeMastercard: Values;
  payoutsPaid: Values;
  payoutsFailed: Values;
  topCustomerShare: Values;
}

/**
 * - refund rate: refunded amount / gross volume of the period (as `refund_rate_amount`);
 * - dispute ratios by count: Visa-style, disputes opened / successful charges of the same
 *   period; Mastercard-style, the same disputes / charges of the period before;
 * - top-customer share: the largest customer's volume / gross volume.
 */
export function historySeries(points: MetricPoint[]): HistorySeries {
  const pick = (read: (point: MetricPoint, index: number) => number | null) => points.map(read);
  return {
    days: points.map((point) => point.period_start),
    gross: pick((p) => p.gross_volume),
    net: pick((p) => p.net_volume),
    refundRate: pick((p) => ratio(p.refund_amount, p.gross_volume)),
    disputeVisa: pick((p) => ratio(p.dispute_count, p.charge_count)),
    disputeMastercard: pick((p, i) =>
      i === 0 ? null : ratio(p.dispute_count, points[i - 1]?.charge_count ?? 0),
    ),
    payoutsPaid: pick((p) => p.payouts_paid_amount),
    payoutsFailed: pick((p) => p.payouts_failed_amount),
    topCustomerShare: pick((p) => ratio(p.top_customer_volume, p.gross_volume)),
  };
}

/** One score per UTC day within the view (the day's latest), oldest first. */
export function dailyScores(items: ScoreItem[], view: View): { days: string[]; scores: Values } {
  const byDay = new Map<string, { at: string; score: number }>();
  for (const item of items) {
    const day = item.computed_at.slice(0, 10);
    if (day < view.start || day > view.end) continue;
    const kept = byDay.get(day);
    if (!kept || item.computed_at > kept.at)
      byDay.set(day, { at: item.computed_at, score: item.score });
  }
  const days = [...byDay.keys()].sort();
  return { days, scores: days.map((day) => byDay.get(day)?.score ?? null) };
}

/** Seconds since the epoch at the day's start (UTC): uPlot's time axis. */
export function daySeconds(day: string): number {
  return Date.parse(day) / 1000;
}

/**
 * Why the last period's figures are not a whole period, if they are not: it is still under way
 * (it contains today), or the range ends before it does. Comparing it with whole periods as if
 * it were one would read as a drop.
 */
export function partialPeriodNote(
  history: Pick<Schemas["MetricHistoryRead"], "granularity" | "end_date" | "metrics">,
  today: string = isoDay(new Date()),
): string | null {
  const last = history.metrics[history.metrics.length - 1];
  if (!last) return null;
  const unit = history.granularity;
  if (last.period_start <= today && today <= last.period_end && history.end_date >= today) {
    return unit === "day"
      ? `Today (${today}) is still under way: its figures so far.`
      : `The last ${unit} (from ${last.period_start}) is still under way: its figures run to today, ${today}.`;
  }
  if (last.period_end > history.end_date) {
    return `The last ${unit} (from ${last.period_start}) is cut at ${history.end_date}, the end of the range: its figures cover only the days to then.`;
  }
  return null;
}
