import { describe, expect, it } from "vitest";

import { canChangeRole, canRemove, grantableRoles } from "./members";

describe("member permissions", () => {
  it("lets owners change and remove anyone", () => {
    expect(canChangeRole("owner", "owner", false)).toBe(true);
    expect(canRemove("owner", "owner", false)).toBe(true);
    expect(grantableRoles("owner", "member")).toEqual(["owner", "admin", "member"]);
  });

  it("lets admins manage members but not owners or other admins", () => {
    expect(canChangeRole("admin", "member", false)).toBe(true);
    expect(canChangeRole("admin", "admin", false)).toBe(false);
    expect(canChangeRole("admin", "admin", true)).toBe(true);
    expect(canChangeRole("admin", "owner", false)).toBe(false);
    expect(grantableRoles("admin", "member")).toEqual(["admin", "member"]);
    expect(canRemove("admin", "owner", false)).toBe(false);
    expect(canRemove("admin", "admin", false)).toBe(true);
  });

  it("lets members only leave", () => {
    expect(canChangeRole("member", "member", true)).toBe(false);
    expect(canRemove("member", "admin", false)).toBe(false);
    expect(canRemove("member", "member", true)).toBe(true);
  });
});
