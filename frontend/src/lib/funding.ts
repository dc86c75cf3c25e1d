/**
 * Funding criteria for people: each criterion's current and required values and the distance
 * between them, in the criterion's unit (money from minor units, ratios as percentages,
 * months, a coefficient of variation), as app/metrics/readiness/funding.py states them.
 */
import type { Schemas } from "./api";
import { formatPercent } from "./format";
import { formatMoney } from "./money";

export type FundingOption = Schemas["FundingOption"];
export type Criterion = Schemas["Criterion"];

// Criteria that are limits (the value must stay under them); every other one is a minimum.
// The dispute ratio must be strictly below its limit (readiness/funding.py `_disputes`).
const LIMITS: Record<string, "<" | "≤"> = {
  worst_dispute_ratio: "<",
  volatility_monthly_cv: "≤",
  low_volume_months_12m: "≤",
  top_customer_share: "≤",
};

/** A value of the criterion's unit as the founder reads it; "—" when not measurable. */
export function formatValue(
  value: number | null | undefined,
  unit: Criterion["unit"],
  currency: string,
): string {
  if (value === null || value === undefined) return "—";
  switch (unit) {
    case "money":
      return formatMoney(value, currency);
    case "ratio":
      return formatPercent(value);
    case "months":
      return `${value} ${value === 1 ? "month" : "months"}`;
    case "days":
      return `${value} ${value === 1 ? "day" : "days"}`;
    case "cv":
    case "factor":
      return value.toFixed(2);
    default:
      return String(value);
  }
}

/** "≥ $5,000", "< 1.00%", "≤ 0.35". */
export function formatRequired(criterion: Criterion, currency: string): string {
  const value = formatValue(criterion.required, criterion.unit, currency);
  const operator = LIMITS[criterion.criterion] ?? "≥";
  // A negative percentage reads better with a true minus sign: "≥ −20.00%".
  return `${operator} ${value.replace(/^-/, "−")}`;
}

/** How far the current value is from the requirement: "6 months short", "2.08% over the
 * limit", "$154,092 to spare"; "Not measurable yet" when there is no current value. */
export function formatDistance(criterion: Criterion, currency: string): string {
  const { current, required, unit } = criterion;
  if (current === null || current === undefined || required === null || required === undefined) {
    return "Not measurable yet";
  }
  const limit = criterion.criterion in LIMITS;
  const gap = Math.abs(required - current);
  // Ratios: drop float noise (0.15000000000000002), as the API's `gap` does.
  const shown = formatValue(unit === "ratio" ? Math.round(gap * 1e6) / 1e6 : gap, unit, currency);
  if (criterion.met) return gap === 0 ? "Exactly at the requirement" : `${shown} to spare`;
  if (limit) return gap === 0 ? "At the limit: must be below it" : `${shown} over the limit`;
  return `${shown} short`;
}

/** The criteria Stripe data can measure, and the ones only a lender can check. */
export function splitCriteria(option: FundingOption): {
  measured: Criterion[];
  unmeasured: Criterion[];
} {
  return {
    measured: option.criteria.filter((c) => c.unit !== null),
    unmeasured: option.criteria.filter((c) => c.unit === null),
  };
}
