import { describe, expect, it } from "vitest";
import { formatDistance, formatRequired, formatValue, type Criterion } from "./funding";

const criterion = (fields: Partial<Criterion>): Criterion => ({
  criterion: "months_of_history",
  description: "",
  unit: "months",
  required: 24,
  current: 18,
  met: false,
  message: "",
  ...fields,
});

describe("funding criteria", () => {
  it("formats each unit", () => {
    expect(formatValue(500000, "money", "usd")).toBe("$5,000.00");
    expect(formatValue(0.0308, "ratio", "usd")).toBe("3.08%");
    expect(formatValue(1, "months", "usd")).toBe("1 month");
    expect(formatValue(0.2079, "cv", "usd")).toBe("0.21");
    expect(formatValue(null, "ratio", "usd")).toBe("—");
  });
  it("states minimums and limits", () => {
    expect(formatRequired(criterion({}), "usd")).toBe("≥ 24 months");
    expect(formatRequired(criterion({ criterion: "worst_dispute_ratio", unit: "ratio", required: 0.01 }), "usd")).toBe("< 1.00%");
    expect(formatRequired(criterion({ criterion: "revenue_growth", unit: "ratio", required: -0.2 }), "usd")).toBe("≥ −20.00%");
    expect(formatRequired(criterion({ criterion: "revenue_trend_12m", unit: "ratio", required: -0.1 }), "usd")).toBe("≥ −10.00%");
    expect(formatRequired(criterion({ criterion: "top_customer_share", unit: "ratio", required: 0.5 }), "usd")).toBe("≤ 50.00%");
  });
  it("says how far off each criterion is", () => {
    expect(formatDistance(criterion({}), "usd")).toBe("6 months short");
    expect(
      formatDistance(
        criterion({ criterion: "worst_dispute_ratio", unit: "ratio", required: 0.01, current: 0.0307692 }),
        "usd",
      ),
    ).toBe("2.08% over the limit");
    expect(
      formatDistance(criterion({ criterion: "revenue_365d", unit: "money", required: 500000, current: 15909168, met: true }), "usd"),
    ).toBe("$154,091.68 to spare");
    expect(formatDistance(criterion({ current: null }), "usd")).toBe("Not measurable yet");
  });
});
