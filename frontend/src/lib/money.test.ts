import { describe, expect, it } from "vitest";

import { formatMoney, minorUnitExponent, toMajorUnits } from "./money";

describe("formatMoney", () => {
  it("reads two-decimal currencies in cents", () => {
    expect(formatMoney(123456, "usd")).toBe("$1,234.56");
    expect(formatMoney(5, "eur")).toBe("€0.05");
    expect(formatMoney(-2500, "USD")).toBe("-$25.00");
  });

  it("reads zero-decimal currencies as whole units", () => {
    expect(minorUnitExponent("jpy")).toBe(0);
    expect(formatMoney(500, "jpy")).toBe("¥500");
    expect(formatMoney(1234567, "krw")).toBe("₩1,234,567");
  });

  it("reads three-decimal currencies in thousandths", () => {
    expect(toMajorUnits(1234, "kwd")).toBe(1.234);
    expect(formatMoney(1234, "KWD")).toMatch(/^KWD\s1\.234$/);
  });

  it("never abbreviates", () => {
    expect(formatMoney(123456789012, "usd")).toBe("$1,234,567,890.12");
  });
});
