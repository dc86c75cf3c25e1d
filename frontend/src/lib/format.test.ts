import { describe, expect, it } from "vitest";
import { formatChange, formatPercent, humanize, tierBand } from "./format";

describe("format", () => {
  it("speaks the API's words with spaces", () => {
    expect(humanize("not_ready")).toBe("not ready");
    expect(humanize("revenue_based_financing")).toBe("revenue based financing");
  });
  it("bands every tier", () => {
    expect(tierBand("strong")).toBe("good");
    expect(tierBand("emerging")).toBe("warn");
    expect(tierBand("not_ready")).toBe("bad");
    expect(tierBand(undefined)).toBe("none");
  });
  it("formats ratios and changes", () => {
    expect(formatPercent(0.0065)).toBe("0.65%");
    expect(formatPercent(null)).toBe("—");
    expect(formatChange(110, 100)).toBe("+10.0%");
    expect(formatChange(90, 100)).toBe("−10.0%");
    expect(formatChange(5, 0)).toBe("—");
  });
});
