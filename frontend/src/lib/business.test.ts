import { beforeEach, describe, expect, it } from "vitest";

import { BUSINESS_KEY } from "./auth";
import {
  chooseBusiness,
  onBusinessChange,
  selectBusiness,
  storedBusinessId,
  withBusinessParam,
} from "./business";
import { browserAt } from "./testing";

const a = { id: "a", name: "Acme" };
const b = { id: "b", name: "Bolt" };

describe("selectBusiness", () => {
  it("prefers the URL, then the stored choice", () => {
    expect(selectBusiness([a, b], "b", "a")).toMatchObject({ kind: "selected", business: b });
    expect(selectBusiness([a, b], null, "a")).toMatchObject({ kind: "selected", business: a });
  });

  it("takes the only business without asking", () => {
    expect(selectBusiness([a], null, null)).toMatchObject({ kind: "selected", business: a });
  });

  it("asks when there are several and no valid choice", () => {
    expect(selectBusiness([a, b], null, null).kind).toBe("choose");
    expect(selectBusiness([a, b], "gone", "other-users").kind).toBe("choose");
  });

  it("sends a user with no business to onboarding", () => {
    expect(selectBusiness([], "a", "a").kind).toBe("none");
  });
});

describe("chooseBusiness", () => {
  beforeEach(() => {
    browserAt("https://vaultra.test/dashboard/?business_id=a&stripe=connected");
  });

  it("stores the choice, rewrites the URL's business and tells the page", () => {
    const seen: string[] = [];
    const stop = onBusinessChange((id) => seen.push(id));
    chooseBusiness("b");
    stop();
    chooseBusiness("a");
    expect(seen).toEqual(["b"]);
    expect(storedBusinessId()).toBe("a");
    expect(localStorage.getItem(BUSINESS_KEY)).toBe("a");
    expect(location.search).toBe("?business_id=a&stripe=connected");
  });

  it("leaves a URL without business_id alone", () => {
    browserAt("https://vaultra.test/dashboard/");
    chooseBusiness("b");
    expect(location.search).toBe("");
  });
});

describe("withBusinessParam", () => {
  it("carries the page's business_id into links", () => {
    expect(withBusinessParam("/dashboard/metrics/", "?business_id=a")).toBe(
      "/dashboard/metrics/?business_id=a",
    );
    expect(withBusinessParam("/settings/?tab=x#t", "?business_id=a")).toBe(
      "/settings/?tab=x&business_id=a#t",
    );
    expect(withBusinessParam("/dashboard/", "")).toBe("/dashboard/");
    expect(withBusinessParam("https://stripe.test/", "?business_id=a")).toBe("https://stripe.test/");
  });
});
