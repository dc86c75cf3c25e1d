import { describe, expect, it } from "vitest";
import { SECTIONS, orderedSections, statusText, viewsText } from "./lenderShare";

describe("lender share helpers", () => {
  it("keeps the report's section order whatever the order chosen", () => {
    expect(orderedSections(new Set(["funding", "score"]))).toEqual(["score", "funding"]);
    expect(orderedSections(new Set())).toEqual([]);
    expect(SECTIONS.map((s) => s.value)).not.toContain("recommendations");
  });
  it("says views and status as people read them", () => {
    expect(viewsText(0)).toBe("0 views");
    expect(viewsText(1)).toBe("1 view");
    expect(viewsText(1200)).toBe("1,200 views");
    expect(statusText({ status: "revoked" })).toBe("Revoked");
  });
});
