import { beforeEach, describe, expect, it } from "vitest";

import {
  BUSINESS_KEY,
  TOKEN_KEY,
  getAuthHeaders,
  isAuthenticated,
  loginUrl,
  logout,
  redirectToLogin,
  safeNext,
  setToken,
} from "./auth";
import { browserAt } from "./testing";

function jwt(claims: object): string {
  const part = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, "");
  return `${part({ alg: "HS256" })}.${part(claims)}.signature`;
}

const NOW = Date.UTC(2030, 0, 1);

describe("auth", () => {
  beforeEach(() => {
    browserAt("https://vaultra.test/dashboard/metrics?business_id=b1&granularity=week");
  });

  it("is signed in while the token has not expired", () => {
    expect(isAuthenticated(NOW)).toBe(false);
    setToken(jwt({ exp: NOW / 1000 + 60 }));
    expect(isAuthenticated(NOW)).toBe(true);
    expect(getAuthHeaders().Authorization).toMatch(/^Bearer /);
    setToken(jwt({ exp: NOW / 1000 - 1 }));
    expect(isAuthenticated(NOW)).toBe(false);
  });

  it("logs out of both the token and the chosen business", () => {
    setToken("t");
    localStorage.setItem(BUSINESS_KEY, "b1");
    logout();
    expect(localStorage.getItem(TOKEN_KEY)).toBeNull();
    expect(localStorage.getItem(BUSINESS_KEY)).toBeNull();
    expect(getAuthHeaders()).toEqual({});
  });

  it("sends to log in with the current path and query as next", () => {
    expect(loginUrl()).toBe(
      "/auth/login?next=%2Fdashboard%2Fmetrics%3Fbusiness_id%3Db1%26granularity%3Dweek",
    );
    const { assign } = browserAt("https://vaultra.test/settings/");
    redirectToLogin();
    expect(assign).toHaveBeenCalledWith("/auth/login?next=%2Fsettings%2F");
  });

  it("does not loop on the log-in page", () => {
    const { assign } = browserAt("https://vaultra.test/auth/login/?next=%2Fdashboard");
    redirectToLogin();
    expect(assign).not.toHaveBeenCalled();
  });

  it("follows next only to a path on this site", () => {
    expect(safeNext("/dashboard?business_id=b1")).toBe("/dashboard?business_id=b1");
    for (const unsafe of ["https://evil.test/", "//evil.test", "/\\evil.test", "", null]) {
      expect(safeNext(unsafe)).toBeNull();
    }
  });
});
