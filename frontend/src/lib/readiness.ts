/**
 * What the overview says about a GET /readiness answer: components in reading order, the first
 * thing standing between the business and each funding option, what a tier means, and the
 * Stripe callback's error codes in words.
 */
import type { Schemas } from "./api";
import { humanize } from "./format";
import { formatMoney } from "./money";

export type Readiness = Schemas["ReadinessRead"];
export type ReadinessComponent = Schemas["Component"];
export type FundingOption = Schemas["FundingOption"];

const STATUS_ORDER: Record<ReadinessComponent["status"], number> = { hurts: 0, neutral: 1, helps: 2 };

/** Components as the founder reads them: what hurts first, then neutral, then what helps; the
 * heaviest first within each. */
export function orderedComponents(
  components: Record<string, ReadinessComponent>,
): [string, ReadinessComponent][] {
  return Object.entries(components).sort(
    ([, a], [, b]) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || b.weight - a.weight,
  );
}

/** "The score is capped at 45 by Dispute health" or null when nothing caps it. */
export function capNote(readiness: Pick<Readiness, "capped_by" | "components">): string | null {
  if (!readiness.capped_by) return null;
  if (readiness.capped_by === "funding_eligibility") {
    return "Your tier needs eligible funding products (1 for ready, 2 for strong), so the score stays below the next tier until another product opens up.";
  }
  if (readiness.capped_by === "revenue_decline") {
    return "Revenue is in a sustained decline, which holds the score down until it turns.";
  }
  const component = readiness.components[readiness.capped_by];
  const label = component?.label ?? humanize(readiness.capped_by);
  const cap = component?.caps_score_at;
  return cap === null || cap === undefined
    ? `${label} caps the score.`
    : `${label} caps the score at ${cap}, whatever the other components add.`;
}

const TIER_MEANING: Record<Readiness["tier"], string> = {
  strong: "Lenders would see a strong, low-risk business. You can compare offers with confidence.",
  ready: "Most revenue-based lenders would consider you. Fixing what hurts improves your terms.",
  emerging: "Some lenders would consider you, on tighter terms. Work on what hurts first.",
  not_ready: "Lenders would likely decline today. The steps below show what to fix first.",
  insufficient_data:
    "There is not enough history yet for a reliable score: lenders look for at least 90 days of processing.",
};

export function tierMeaning(tier: Readiness["tier"]): string {
  return TIER_MEANING[tier];
}

type ScoreTrend = Readiness["score_trend"]["direction"];
type RevenueTrend = Readiness["revenue_trend"]["direction"];

const TREND_WORDS: Record<ScoreTrend, { arrow: string; text: string }> = {
  improving: { arrow: "↑", text: "Score improving over the last 30 days" },
  stable: { arrow: "→", text: "Score stable over the last 30 days" },
  declining: { arrow: "↓", text: "Score declining over the last 30 days" },
  insufficient_history: { arrow: "·", text: "Score trend after 7 days of score history" },
};

/** The score's own 30-day trend (not revenue's). */
export function trendWords(trend: ScoreTrend): { arrow: string; text: string } {
  return TREND_WORDS[trend];
}

const REVENUE_TREND_WORDS: Record<RevenueTrend, string> = {
  growing: "Revenue growing",
  flat: "Revenue flat",
  declining: "Revenue declining",
  insufficient_history: "Revenue trend not known yet",
};

/** "Revenue growing (year over year)": the direction and the comparison behind it. */
export function revenueTrendWords(trend: Readiness["revenue_trend"]): string {
  const words = REVENUE_TREND_WORDS[trend.direction];
  return trend.comparison ? `${words} (${trend.comparison.replaceAll("_", " ")})` : words;
}

/** "12%" weight from 0.12. */
export function formatWeight(weight: number): string {
  return `${Math.round(weight * 100)}%`;
}

export interface NextStep {
  /** What the criterion asks, e.g. "At least 6 complete months of processing history". */
  description: string;
  /** How far off, e.g. "$4,200.00 to go" or "2 months to go"; null when not measurable yet. */
  distance: string | null;
  /** The API's sentence about it, with the current and required figures. */
  message: string;
}

function formatGap(unit: Schemas["Criterion"]["unit"], gap: number, currency: string): string {
  switch (unit) {
    case "money":
      return formatMoney(gap, currency);
    case "ratio":
      return `${(gap * 100).toFixed(2)} percentage points`;
    case "months":
      return `${gap} ${gap === 1 ? "month" : "months"}`;
    case "days":
      return `${gap} ${gap === 1 ? "day" : "days"}`;
    case "count":
      return gap.toLocaleString("en-US");
    case "cv":
    case "factor":
      return gap.toFixed(2);
    default:
      return String(gap);
  }
}

/** The first unmet criterion of an option that is not yet within reach, with its distance. */
export function firstUnmet(option: FundingOption, currency: string): NextStep | null {
  const [unmet] = option.unmet;
  if (!unmet) return null;
  const criterion = option.criteria.find((item) => item.criterion === unmet.criterion);
  const distance =
    unmet.gap === null || unmet.gap === undefined
      ? null
      : `${formatGap(criterion?.unit ?? null, unmet.gap, currency)} to go`;
  return {
    description: criterion?.description ?? humanize(unmet.criterion),
    distance,
    message: unmet.message,
  };
}

/** Criteria Stripe data can measure and that are met, out of those it can measure. */
export function criteriaMet(option: FundingOption): { met: number; measurable: number } {
  const measurable = option.criteria.filter((item) => item.met !== null);
  return { met: measurable.filter((item) => item.met).length, measurable: measurable.length };
}

const CONNECT_ERRORS: Record<string, string> = {
  access_denied: "The Stripe account owner declined the connection.",
  invalid_state: "The connection request expired or was already used.",
  invalid_request: "Stripe's answer was incomplete.",
  invalid_grant: "Stripe refused the authorization code (it expired or was already used).",
  insufficient_role: "Only an owner or admin of this business may connect Stripe.",
  account_already_linked: "This Stripe account is already connected to another business.",
  already_connected: "Another Stripe account is connected to this business; disconnect it first.",
  stripe_unavailable: "Stripe could not be reached.",
  stripe_not_configured: "Stripe is not configured on this server.",
};

/** The callback's `reason=` code in words; unknown codes are shown as they came. */
export function connectErrorMessage(reason: string | null): string {
  if (!reason) return "Connecting Stripe did not finish.";
  return CONNECT_ERRORS[reason] ?? `Connecting Stripe failed (${humanize(reason)}).`;
}
