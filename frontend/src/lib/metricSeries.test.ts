import { describe, expect, it } from "vitest";
import {
  dailyScores,
  historySeries,
  partialPeriodNote,
  searchWithView,
  viewFromSearch,
  type MetricPoint,
  type ScoreItem,
} from "./metricSeries";

function point(period_start: string, figures: Partial<MetricPoint> = {}): MetricPoint {
  return {
    period_start,
    period_end: period_start,
    gross_volume: 0,
    net_volume: 0,
    charge_count: 0,
    failed_charge_count: 0,
    unconverted_charge_count: 0,
    refund_amount: 0,
    refund_count: 0,
    dispute_count: 0,
    dispute_amount: 0,
    disputes_by_reason: {},
    unique_customers: null,
    payouts_paid_count: 0,
    payouts_paid_amount: 0,
    payouts_failed_count: 0,
    payouts_failed_amount: 0,
    top_customer_volume: 0,
    ...figures,
  };
}

describe("the view in the URL", () => {
  it("defaults to two years of months ending today", () => {
    expect(viewFromSearch("?business_id=b1", "2026-03-10")).toEqual({
      granularity: "month",
      start: "2024-03-11",
      end: "2026-03-10",
    });
  });
  it("reads a shared view and ignores malformed dates", () => {
    const view = viewFromSearch("?granularity=week&start=2025-01-06&end=nope", "2026-03-10");
    expect(view).toEqual({ granularity: "week", start: "2025-01-06", end: "2026-03-10" });
  });
  it("keeps the range one the API serves", () => {
    expect(viewFromSearch("?granularity=day&start=2020-01-01&end=2026-03-10").start).toBe(
      "2025-03-10",
    );
    expect(viewFromSearch("?start=2026-04-01&end=2026-03-10").start).toBe("2026-03-10");
  });
  it("writes the view next to the business", () => {
    const view = { granularity: "day", start: "2026-01-01", end: "2026-01-31" } as const;
    expect(searchWithView("?business_id=b1&granularity=month", view)).toBe(
      "?business_id=b1&granularity=day&start=2026-01-01&end=2026-01-31",
    );
  });
});

describe("series", () => {
  it("derives ratios per period, null without a base", () => {
    const series = historySeries([
      point("2026-01-01", { gross_volume: 10_000, charge_count: 200, refund_amount: 500 }),
      point("2026-02-01", {
        gross_volume: 20_000,
        charge_count: 100,
        dispute_count: 2,
        top_customer_volume: 5_000,
      }),
      point("2026-03-01"),
    ]);
    expect(series.refundRate).toEqual([0.05, 0, null]);
    expect(series.disputeVisa).toEqual([0, 0.02, null]);
    expect(series.disputeMastercard).toEqual([null, 0.01, 0]);
    expect(series.topCustomerShare).toEqual([0, 0.25, null]);
  });
  it("keeps each day's latest score within the range, oldest first", () => {
    const item = (computed_at: string, score: number) => ({ computed_at, score }) as ScoreItem;
    const view = { granularity: "day", start: "2026-01-02", end: "2026-01-31" } as const;
    const scores = [
      item("2026-01-03T09:00:00Z", 61),
      item("2026-01-03T18:00:00Z", 64),
      item("2026-01-02T10:00:00Z", 58),
      item("2026-01-01T10:00:00Z", 50),
    ];
    expect(dailyScores(scores, view)).toEqual({
      days: ["2026-01-02", "2026-01-03"],
      scores: [58, 64],
    });
  });
});

describe("a last period that is not whole", () => {
  const month = (start: string, end: string) => point(start, { period_end: end });

  it("says the month under way is still under way", () => {
    const history = {
      granularity: "month" as const,
      end_date: "2026-12-02",
      metrics: [month("2026-11-01", "2026-11-30"), month("2026-12-01", "2026-12-31")],
    };
    expect(partialPeriodNote(history, "2026-12-02")).toBe(
      "The last month (from 2026-12-01) is still under way: its figures run to today, 2026-12-02.",
    );
  });

  it("says today is under way in the daily view", () => {
    const history = { granularity: "day" as const, end_date: "2026-12-02", metrics: [point("2026-12-02")] };
    expect(partialPeriodNote(history, "2026-12-02")).toBe("Today (2026-12-02) is still under way: its figures so far.");
  });

  it("says a range that ends mid-period cuts the last period", () => {
    const history = {
      granularity: "week" as const,
      end_date: "2026-06-10",
      metrics: [month("2026-06-08", "2026-06-14")],
    };
    expect(partialPeriodNote(history, "2026-12-02")).toMatch(/cut at 2026-06-10/);
  });

  it("says nothing of whole periods, or of no periods", () => {
    const whole = { granularity: "month" as const, end_date: "2026-10-31", metrics: [month("2026-10-01", "2026-10-31")] };
    expect(partialPeriodNote(whole, "2026-12-02")).toBeNull();
    expect(partialPeriodNote({ ...whole, metrics: [] }, "2026-12-02")).toBeNull();
  });
});
