import { describe, expect, it } from "vitest";

import type { Schemas } from "./api";
import {
  capNote,
  connectErrorMessage,
  criteriaMet,
  firstUnmet,
  formatWeight,
  orderedComponents,
  revenueTrendWords,
  trendWords,
  type Readiness,
  type ReadinessComponent,
} from "./readiness";

function component(label: string, status: ReadinessComponent["status"], weight: number, cap: number | null = null): ReadinessComponent {
  return {
    label,
    status,
    weight,
    score: 50,
    metric: "m",
    value: 1,
    display: "1",
    explanation: "",
    caps_score_at: cap,
  };
}

const months: Schemas["Criterion"] = {
  criterion: "months_of_history",
  description: "At least 9 complete months of processing history",
  unit: "months",
  required: 9,
  current: 7,
  met: false,
  message: "2 more months of processing history (7 of 9 complete months so far).",
};
const revenue: Schemas["Criterion"] = {
  criterion: "revenue_365d",
  description: "At least $5,000.00 of net revenue in the last 12 months",
  unit: "money",
  required: 500_000,
  current: 80_000,
  met: false,
  message: "$4,200.00 more net revenue over the last 12 months.",
};
const standing: Schemas["Criterion"] = {
  criterion: "good_standing",
  description: "Good standing",
  unit: null,
  required: null,
  current: null,
  met: null,
  message: "Not visible in Stripe data.",
};

function option(criteria: Schemas["Criterion"][]): Schemas["FundingOption"] {
  const unmet = criteria
    .filter((c) => c.met === false)
    .map((c) => ({
      criterion: c.criterion,
      current: c.current,
      required: c.required,
      gap: c.required !== null && c.current !== null ? Math.abs(c.required - c.current) : null,
      message: c.message,
    }));
  return { type: "merchant_cash_advance", name: "MCA", eligible: unmet.length === 0, unmet, criteria, source: "" };
}

describe("readiness", () => {
  it("lists what hurts first, heaviest first", () => {
    const order = orderedComponents({
      a: component("A", "helps", 0.2),
      b: component("B", "hurts", 0.1),
      c: component("C", "neutral", 0.15),
      d: component("D", "hurts", 0.15),
    }).map(([key]) => key);
    expect(order).toEqual(["d", "b", "c", "a"]);
    expect(formatWeight(0.15)).toBe("15%");
  });

  it("names the component that caps the score", () => {
    const readiness = {
      capped_by: "disputes",
      components: { disputes: component("Dispute health", "hurts", 0.15, 45) },
    } as unknown as Readiness;
    expect(capNote(readiness)).toBe("Dispute health caps the score at 45, whatever the other components add.");
    expect(capNote({ ...readiness, capped_by: null })).toBeNull();
    expect(capNote({ ...readiness, capped_by: "funding_eligibility" })).toContain("1 for ready, 2 for strong");
    expect(capNote({ ...readiness, capped_by: "revenue_decline" })).toContain("sustained decline");
  });

  it("keeps the score's trend and the revenue trend apart", () => {
    expect(trendWords("insufficient_history").text).toBe("Score trend after 7 days of score history");
    expect(trendWords("stable").text).toBe("Score stable over the last 30 days");
    const revenue = { direction: "growing", change: 0.14, comparison: "year_over_year", seasonal: true, explanation: "" } as const;
    expect(revenueTrendWords(revenue)).toBe("Revenue growing (year over year)");
    expect(revenueTrendWords({ ...revenue, direction: "insufficient_history", comparison: null })).toBe(
      "Revenue trend not known yet",
    );
  });

  it("gives the first unmet criterion and its distance in the criterion's unit", () => {
    expect(firstUnmet(option([months, revenue, standing]), "usd")).toEqual({
      description: months.description,
      distance: "2 months to go",
      message: months.message,
    });
    expect(firstUnmet(option([revenue]), "usd")?.distance).toBe("$4,200.00 to go");
    expect(firstUnmet(option([{ ...months, met: true }, standing]), "usd")).toBeNull();
    expect(criteriaMet(option([{ ...months, met: true }, revenue, standing]))).toEqual({ met: 1, measurable: 2 });
  });

  it("says the callback's reason in words", () => {
    expect(connectErrorMessage("access_denied")).toBe("The Stripe account owner declined the connection.");
    expect(connectErrorMessage("weird_thing")).toBe("Connecting Stripe failed (weird thing).");
  });
});
