import { describe, expect, it } from "vitest";
import { SIMULATOR_INPUTS, overridesFor, parseText, toText, todayValue } from "./simulator";

const input = (id: string) => SIMULATOR_INPUTS.find((i) => i.id === id)!;

describe("simulator inputs", () => {
  it("starts the dispute ratio at the worst of the four network ratios", () => {
    const metrics = {
      dispute_ratio_visa_month: { value: 0.026 },
      dispute_ratio_visa_3m: { value: 0.023 },
      dispute_ratio_mc_month: { value: 0.0308 },
      dispute_ratio_mc_3m: { value: null },
    };
    expect(todayValue(input("dispute-ratio"), metrics)).toBe(0.0308);
    expect(toText(input("dispute-ratio"), 0.0308, "usd")).toBe("3.08");
    expect(todayValue(input("refund-rate"), {})).toBeNull();
  });
  it("sets every dispute-ratio metric at once, as a fraction", () => {
    const parsed = parseText(input("dispute-ratio"), "0.5", "usd");
    expect(parsed).toEqual({ ok: true, value: 0.005 });
    expect(overridesFor(input("dispute-ratio"), 0.005)).toEqual({
      dispute_ratio_visa_month: 0.005,
      dispute_ratio_visa_3m: 0.005,
      dispute_ratio_mc_month: 0.005,
      dispute_ratio_mc_3m: 0.005,
    });
  });
  it("converts money between major and minor units of the currency", () => {
    expect(toText(input("monthly-revenue"), 1652674, "usd")).toBe("16527");
    expect(parseText(input("monthly-revenue"), "15000", "usd")).toEqual({ ok: true, value: 1500000 });
    expect(parseText(input("monthly-revenue"), "15000", "jpy")).toEqual({ ok: true, value: 15000 });
  });
  it("refuses what the API refuses, saying the bounds", () => {
    expect(parseText(input("refund-rate"), "101", "usd")).toEqual({
      ok: false,
      error: "Must be between 0% and 100%.",
    });
    expect(parseText(input("revenue-growth"), "-150", "usd")).toEqual({
      ok: false,
      error: "Must be at least -100%.",
    });
    expect(parseText(input("low-volume-months"), "13", "usd").ok).toBe(false);
    expect(parseText(input("months-of-history"), "2.5", "usd")).toEqual({
      ok: false,
      error: "Enter a whole number.",
    });
    expect(parseText(input("refund-rate"), "", "usd")).toEqual({ ok: false, error: "Enter a number." });
  });
  it("moves the days of history with the months", () => {
    expect(overridesFor(input("months-of-history"), 24)).toEqual({
      months_of_history: 24,
      days_of_history: 730,
    });
  });
});
