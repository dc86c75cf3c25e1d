import { describe, expect, it } from "vitest";
import { applyAction, groupRecommendations, impactText, type Recommendation } from "./recommendations";

const rec = (id: string, fields: Partial<Recommendation>): Recommendation => ({
  id,
  business_id: "b",
  rule_id: id,
  category: "c",
  component: "payouts",
  priority: "medium",
  status: "open",
  title: id,
  body: "",
  impact: 0,
  overrides: {},
  facts: {},
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  opened_at: "2026-01-01T00:00:00Z",
  accepted_at: null,
  dismissed_at: null,
  resolved_at: null,
  ...fields,
});

const items = [
  rec("a", { priority: "low", impact: 9 }),
  rec("b", { priority: "high", impact: 2 }),
  rec("c", { priority: "medium", impact: 5, status: "accepted" }),
  rec("d", { status: "resolved" }),
];

describe("recommendations", () => {
  it("groups every status but resolved by default, sorted by priority or impact", () => {
    const groups = groupRecommendations(items, { status: "active", priority: "all", sort: "priority" });
    expect(groups.map((g) => [g.status, g.items.map((i) => i.id)])).toEqual([
      ["open", ["b", "a"]],
      ["accepted", ["c"]],
      ["dismissed", []],
    ]);
    const byImpact = groupRecommendations(items, { status: "open", priority: "all", sort: "impact" });
    expect(byImpact[0]!.items.map((i) => i.id)).toEqual(["a", "b"]);
    const high = groupRecommendations(items, { status: "active", priority: "high", sort: "priority" });
    expect(high[0]!.items.map((i) => i.id)).toEqual(["b"]);
  });
  it("applies an action as the API will, and undo clears both dates", () => {
    const now = new Date("2026-12-02T10:00:00Z");
    const accepted = applyAction(items[0]!, "accepted", now);
    expect(accepted.status).toBe("accepted");
    expect(accepted.accepted_at).toBe("2026-12-02T10:00:00.000Z");
    const undone = applyAction(accepted, "open", now);
    expect([undone.status, undone.accepted_at, undone.dismissed_at]).toEqual(["open", null, null]);
  });
  it("says what an item would do to the score", () => {
    expect(impactText(4)).toBe("Would add about 4 points to your score");
    expect(impactText(1)).toBe("Would add about 1 point to your score");
    expect(impactText(0)).toBe("No change to your score on its own");
  });
});
