import { describe, expect, it } from "vitest";

import {
  afterLogin,
  fieldErrors,
  formatWait,
  googleErrorMessage,
  parseGoogleFragment,
  retryAfterSeconds,
} from "./authflow";

describe("after log-in", () => {
  it("goes to next, with its query string, when it is a path here", () => {
    expect(afterLogin("/dashboard/metrics?business_id=b1", 0)).toBe(
      "/dashboard/metrics?business_id=b1",
    );
  });

  it("ignores a next that leaves the site", () => {
    expect(afterLogin("https://evil.example/", 2)).toBe("/dashboard/");
    expect(afterLogin("//evil.example/", 0)).toBe("/onboarding/business");
  });

  it("sends a user without a business to onboarding, else to the dashboard", () => {
    expect(afterLogin(null, 0)).toBe("/onboarding/business");
    expect(afterLogin(null, 1)).toBe("/dashboard/");
  });
});

describe("field errors", () => {
  it("keeps the first message per field, as a sentence", () => {
    const error = {
      detail: "The request is invalid.",
      code: "validation_error",
      errors: [
        { field: "password", message: "String should have at least 8 characters" },
        { field: "password", message: "second" },
        { field: "email", message: "An account with this email already exists." },
        { field: "name", message: "String should have at least 1 character" },
        { field: "country", message: "Value error, must be an ISO 3166-1 alpha-2 country code" },
      ],
    };
    expect(fieldErrors(error)).toEqual({
      password: "Should have at least 8 characters.",
      email: "An account with this email already exists.",
      name: "This field is required.",
      country: "Must be an ISO 3166-1 alpha-2 country code.",
    });
  });

  it("finds none in an error without them", () => {
    expect(fieldErrors({ detail: "x", code: "y" })).toEqual({});
    expect(fieldErrors(undefined)).toEqual({});
  });
});

describe("waiting after a 429", () => {
  it("reads Retry-After in seconds or as a date", () => {
    expect(retryAfterSeconds("120")).toBe(120);
    expect(retryAfterSeconds(null)).toBeNull();
    expect(retryAfterSeconds("soon")).toBeNull();
    const now = Date.UTC(2030, 0, 1);
    expect(retryAfterSeconds(new Date(now + 90_000).toUTCString(), now)).toBe(90);
  });

  it("says the wait in words, rounding minutes up", () => {
    expect(formatWait(1)).toBe("1 second");
    expect(formatWait(45)).toBe("45 seconds");
    expect(formatWait(60)).toBe("1 minute");
    expect(formatWait(899)).toBe("15 minutes");
  });
});

describe("Google's fragment", () => {
  it("carries a token or an error code", () => {
    expect(parseGoogleFragment("#token=abc.def")).toEqual({ kind: "token", token: "abc.def" });
    expect(parseGoogleFragment("#error=access_denied")).toEqual({
      kind: "error",
      code: "access_denied",
    });
    expect(parseGoogleFragment("")).toEqual({ kind: "empty" });
  });

  it("explains known codes and falls back for others", () => {
    expect(googleErrorMessage("access_denied")).toBe("Google sign-in was cancelled.");
    expect(googleErrorMessage("invalid_audience")).toMatch(/did not complete/);
  });
});
