import { describe, expect, it } from "vitest";

import { formatPointChange, historyStart, kpisFromHistory, sparklinePoints, type DailyPoint } from "./kpis";

function day(index: number, fields: Partial<DailyPoint> = {}): DailyPoint {
  const date = new Date(Date.UTC(2026, 0, 1 + index)).toISOString().slice(0, 10);
  return {
    period_start: date,
    gross_volume: 0,
    net_volume: 0,
    charge_count: 0,
    refund_amount: 0,
    dispute_count: 0,
    ...fields,
  };
}

describe("kpisFromHistory", () => {
  // 30 days at $100/day with 10 charges, then 30 days at $120/day with 12 charges.
  const points = [
    ...Array.from({ length: 30 }, (_, i) =>
      day(i, { gross_volume: 10_000, net_volume: 9_000, charge_count: 10, refund_amount: 500, dispute_count: i < 3 ? 1 : 0 }),
    ),
    ...Array.from({ length: 30 }, (_, i) =>
      day(30 + i, { gross_volume: 12_000, net_volume: 11_000, charge_count: 12, refund_amount: 240, dispute_count: 0 }),
    ),
  ];
  const [gross, net, disputes, refunds] = kpisFromHistory(points, "usd");

  it("sums the last 30 days and compares them with the 30 before", () => {
    expect(gross).toMatchObject({ label: "Gross volume", value: "$3,600.00", change: "+20.0%", direction: "good" });
    expect(net).toMatchObject({ value: "$3,300.00", change: "+22.2%", direction: "good" });
    expect(gross?.series).toHaveLength(30);
  });

  it("compares ratios in percentage points, lower being better", () => {
    // 3 disputes of 300 charges before (1%), none now.
    expect(disputes).toMatchObject({ value: "0.00%", change: "−1.00 pp", direction: "good" });
    // 5% of gross refunded before, 2% now.
    expect(refunds).toMatchObject({ value: "2.00%", change: "−3.00 pp", direction: "good" });
  });

  it("says nothing about a change it has no base for", () => {
    const [onlyRecent, , ratio] = kpisFromHistory(points.slice(30), "usd");
    expect(onlyRecent).toMatchObject({ change: "—", direction: "flat" });
    expect(ratio).toMatchObject({ change: "—", direction: "flat" });
    const [empty, , emptyRatio] = kpisFromHistory([day(0)], "jpy");
    expect(empty?.value).toBe("¥0");
    expect(emptyRatio?.value).toBe("—");
  });

  it("rises when disputes rise", () => {
    const worse = [day(0, { charge_count: 100 }), day(1, { charge_count: 100, dispute_count: 2 })];
    const [, , ratio] = kpisFromHistory([...Array.from({ length: 29 }, (_, i) => day(i)), ...worse], "usd");
    expect(ratio?.direction).toBe("flat"); // no previous period: no verdict
    expect(formatPointChange(0.02, 0.01)).toBe("+1.00 pp");
    expect(formatPointChange(0.01, 0.01)).toBe("0.00 pp");
  });
});

describe("historyStart", () => {
  it("is 59 days before today, so the range holds 60 days", () => {
    expect(historyStart(new Date("2026-03-01T23:30:00Z"))).toBe("2026-01-01");
  });
});

describe("sparklinePoints", () => {
  it("puts the minimum at the bottom and the maximum at the top", () => {
    expect(sparklinePoints([0, 10], 100, 20, 0)).toBe("0.0,20.0 100.0,0.0");
    expect(sparklinePoints([5, 5], 100, 20)).toBe("0.0,10.0 100.0,10.0");
    expect(sparklinePoints([], 100, 20)).toBe("");
  });
});
