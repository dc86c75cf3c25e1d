/**
 * The what-if simulator's inputs: which score metrics each one drives, today's value, the
 * bounds the API accepts (app/metrics/readiness/inputs.py METRIC_RULES, published in the
 * OpenAPI schema of SimulateRequest.overrides), and the conversion between what the founder
 * types (percent, money in major units) and what the API takes (fractions, minor units).
 */
import type { Schemas } from "./api";
import { minorUnitExponent } from "./money";

export type OverrideMetric = keyof Schemas["SimulateRequest"]["overrides"];
export type Overrides = Schemas["SimulateRequest"]["overrides"];
type Kind = "percent" | "money" | "decimal" | "count";

export interface SimulatorInput {
  id: string;
  /** The metric's human name: the field's label. */
  label: string;
  hint: string;
  kind: Kind;
  /** Every metric the input sets (the dispute ratio sets all four network ratios). */
  metrics: OverrideMetric[];
  /** The API's bounds, in API units (fractions, minor units). */
  min: number;
  max: number;
  /** The slider's practical range in display units, widened to include today's value. */
  slider: (today: number | null) => [number, number];
  sliderStep: number;
}

// The API's bounds (readiness/inputs.py): ratios and shares 0..1, growth -1..1e6 (a business cannot
// shrink by more than 100%), other numbers 0..1e6, money 0..2^53-1 minor units.
const RATIO = { min: 0, max: 1 };
const MONEY = { min: 0, max: 2 ** 53 - 1 };
const NUMBER_MAX = 1_000_000;
const INT_MAX = 2 ** 31 - 1;
const DAYS_PER_MONTH = 365 / 12;

const upTo = (floor: number, today: number | null, step: number) =>
  Math.max(floor, Math.ceil(((today ?? 0) * 1.5) / step) * step);

export const SIMULATOR_INPUTS: readonly SimulatorInput[] = [
  {
    id: "dispute-ratio",
    label: "Dispute ratio",
    hint: "Disputes per charge, the worst of Visa's and Mastercard's ways of counting, this month and over 3 months. Card networks start monitoring at 0.65–1%.",
    kind: "percent",
    metrics: [
      "dispute_ratio_visa_month",
      "dispute_ratio_visa_3m",
      "dispute_ratio_mc_month",
      "dispute_ratio_mc_3m",
    ],
    ...RATIO,
    slider: (today) => [0, upTo(5, today, 1)],
    sliderStep: 0.01,
  },
  {
    id: "refund-rate",
    label: "Refund rate",
    hint: "Share of sales refunded in the last 90 days, by amount and by count. Under 5% is healthy.",
    kind: "percent",
    metrics: ["refund_rate_amount", "refund_rate_count"],
    ...RATIO,
    slider: (today) => [0, upTo(25, today, 5)],
    sliderStep: 0.01,
  },
  {
    id: "payout-failure-rate",
    label: "Payout failure rate",
    hint: "Share of payouts in the last 90 days that failed. Above 5% hurts.",
    kind: "percent",
    metrics: ["payout_failure_rate_90d"],
    ...RATIO,
    slider: (today) => [0, upTo(20, today, 5)],
    sliderStep: 0.01,
  },
  {
    id: "monthly-revenue",
    label: "Monthly revenue",
    hint: "Net revenue per month, averaged over the last 3 complete months.",
    kind: "money",
    metrics: ["avg_monthly_revenue_3m"],
    ...MONEY,
    slider: (today) => [0, upTo(50_000, today, 10_000)],
    sliderStep: 100,
  },
  {
    id: "annual-revenue",
    label: "Revenue in the last 12 months",
    hint: "Net revenue over the last 12 months. Banks and SBA lenders often look for $100,000 or more.",
    kind: "money",
    metrics: ["revenue_365d"],
    ...MONEY,
    slider: (today) => [0, upTo(250_000, today, 50_000)],
    sliderStep: 1_000,
  },
  {
    id: "revenue-growth",
    label: "Revenue growth",
    hint: "Change in revenue: the last 3 months against the same months a year earlier once you have 15 months, else against the 3 before.",
    kind: "percent",
    // The first one present is today's value; all move together (the trend caps a decline).
    metrics: ["growth_yoy", "growth_3m", "revenue_trend_12m"],
    min: -1,
    max: NUMBER_MAX,
    slider: (today) => [-100, upTo(100, today, 50)],
    sliderStep: 1,
  },
  {
    id: "revenue-volatility",
    label: "Revenue volatility",
    hint: "How much monthly revenue varies around its trend and season, as a share of an average month. Lenders like 0.15 or less.",
    kind: "decimal",
    metrics: ["volatility_detrended_cv", "volatility_monthly_cv"],
    min: 0,
    max: NUMBER_MAX,
    slider: (today) => [0, upTo(1.5, today, 0.5)],
    sliderStep: 0.01,
  },
  {
    id: "top-customer-share",
    label: "Top-customer share",
    hint: "Share of the last 12 months' revenue from your largest customer. Above 25% is a concentration risk.",
    kind: "percent",
    metrics: ["top_customer_share"],
    ...RATIO,
    slider: () => [0, 100],
    sliderStep: 0.01,
  },
  {
    id: "months-of-history",
    label: "Months of history",
    hint: "Complete months of processing on Stripe. Banks and SBA lenders usually ask for 24.",
    kind: "count",
    metrics: ["months_of_history", "days_of_history"],
    min: 0,
    max: INT_MAX,
    slider: (today) => [0, upTo(36, today, 12)],
    sliderStep: 1,
  },
  {
    id: "low-volume-months",
    label: "Low-volume months",
    hint: "Months of the last 12 with low or no revenue. A bank line of credit allows at most 1.",
    kind: "count",
    metrics: ["low_volume_months_12m"],
    min: 0,
    max: 12,
    slider: () => [0, 12],
    sliderStep: 1,
  },
];

/** The factor from API units to what the founder types. */
export function displayScale(input: SimulatorInput, currency: string): number {
  if (input.kind === "percent") return 100;
  if (input.kind === "money") return 10 ** -minorUnitExponent(currency);
  return 1;
}

/** Today's value of the input, in API units: the worst dispute ratio for "Dispute ratio". */
export function todayValue(
  input: SimulatorInput,
  metrics: Record<string, { value?: unknown }>,
): number | null {
  const values = input.metrics
    .map((name) => metrics[name]?.value)
    .filter((value): value is number => typeof value === "number" && Number.isFinite(value));
  if (values.length === 0) return null;
  return input.id === "dispute-ratio" ? Math.max(...values) : values[0]!;
}

/** Decimals the field shows: whole money and counts, 1 for growth, else 2. */
export function decimals(input: SimulatorInput): number {
  if (input.kind === "count" || input.kind === "money") return 0;
  return input.sliderStep >= 1 ? 1 : 2;
}

/** The number field's step: one unit of its last shown decimal. */
export function fieldStep(input: SimulatorInput): number {
  return 10 ** -decimals(input);
}

/** What the field shows for an API value ("" when not measurable). */
export function toText(input: SimulatorInput, value: number | null, currency: string): string {
  if (value === null) return "";
  const shown = value * displayScale(input, currency);
  return String(Number(shown.toFixed(decimals(input))));
}

export type Parsed = { ok: true; value: number } | { ok: false; error: string };

function bound(input: SimulatorInput, value: number, currency: string): string {
  const shown = Number((value * displayScale(input, currency)).toFixed(6)).toLocaleString("en-US");
  return input.kind === "percent" ? `${shown}%` : shown;
}

/** The typed text as an API value, or why the API would refuse it. */
export function parseText(input: SimulatorInput, text: string, currency: string): Parsed {
  const trimmed = text.trim().replace(/,/g, "").replace(/^−/, "-");
  if (trimmed === "") return { ok: false, error: "Enter a number." };
  const typed = Number(trimmed);
  if (!Number.isFinite(typed)) return { ok: false, error: "Enter a number." };
  if (input.kind === "count" && !Number.isInteger(typed)) {
    return { ok: false, error: "Enter a whole number." };
  }
  const scale = displayScale(input, currency);
  let value = typed / scale;
  if (input.kind === "money") value = Math.round(value);
  else if (input.kind === "percent") value = Number(value.toFixed(8));
  if (value < input.min || value > input.max) {
    const huge = input.max >= NUMBER_MAX;
    return {
      ok: false,
      error: huge
        ? `Must be at least ${bound(input, input.min, currency)}.`
        : `Must be between ${bound(input, input.min, currency)} and ${bound(input, input.max, currency)}.`,
    };
  }
  return { ok: true, value };
}

/** The overrides one input sends: its value for each metric it drives. */
export function overridesFor(input: SimulatorInput, value: number): Overrides {
  const out: Overrides = {};
  for (const metric of input.metrics) {
    // "Months of history" moves the days of history with it: the score reads both.
    out[metric] =
      metric === "days_of_history" ? Math.min(INT_MAX, Math.round(value * DAYS_PER_MONTH)) : value;
  }
  return out;
}
