/**
 * Which business the signed-in pages show: `?business_id=` in the URL, else the one chosen
 * before (localStorage), else the only one. With several and none chosen, the user must choose
 * before any data is shown; with none, onboarding comes first.
 */
import { BUSINESS_KEY } from "./auth";

export const BUSINESS_PARAM = "business_id";
/** Fired on window (detail: {businessId}) when the selector switches business. */
export const BUSINESS_CHANGE_EVENT = "vaultra:business-change";

export interface BusinessRef {
  id: string;
  name: string;
}

export type Selection<B extends BusinessRef = BusinessRef> =
  | { kind: "selected"; business: B; businesses: B[] }
  | { kind: "choose"; businesses: B[] }
  | { kind: "none" };

/** The rule above, as a pure function. An id the user cannot see counts as no choice. */
export function selectBusiness<B extends BusinessRef>(
  businesses: B[],
  fromUrl: string | null,
  fromStorage: string | null,
): Selection<B> {
  if (businesses.length === 0) return { kind: "none" };
  for (const wanted of [fromUrl, fromStorage]) {
    const match = wanted ? businesses.find((business) => business.id === wanted) : undefined;
    if (match) return { kind: "selected", business: match, businesses };
  }
  const [only] = businesses;
  if (businesses.length === 1 && only) return { kind: "selected", business: only, businesses };
  return { kind: "choose", businesses };
}

export function businessIdFromUrl(search: string = location.search): string | null {
  return new URLSearchParams(search).get(BUSINESS_PARAM);
}

export function storedBusinessId(): string | null {
  return typeof localStorage === "undefined" ? null : localStorage.getItem(BUSINESS_KEY);
}

/**
 * Remember `id`, put it in the address bar when the URL named a business (so a reload and a
 * shared link keep it), and tell the page's islands to reload their data.
 */
export function chooseBusiness(id: string): void {
  localStorage.setItem(BUSINESS_KEY, id);
  const url = new URL(location.href);
  if (url.searchParams.has(BUSINESS_PARAM)) {
    url.searchParams.set(BUSINESS_PARAM, id);
    history.replaceState(history.state, "", url);
  }
  window.dispatchEvent(new CustomEvent(BUSINESS_CHANGE_EVENT, { detail: { businessId: id } }));
}

/** Calls `listener` on every switch; returns the function that stops listening. */
export function onBusinessChange(listener: (businessId: string) => void): () => void {
  const handler = (event: Event) => listener((event as CustomEvent<{ businessId: string }>).detail.businessId);
  window.addEventListener(BUSINESS_CHANGE_EVENT, handler);
  return () => window.removeEventListener(BUSINESS_CHANGE_EVENT, handler);
}

/** `href` with the current page's `?business_id=` carried over, so deep links keep it. */
export function withBusinessParam(href: string, search: string = location.search): string {
  const id = businessIdFromUrl(search);
  if (!id || /^[a-z]+:/i.test(href)) return href;
  const url = new URL(href, "http://x");
  url.searchParams.set(BUSINESS_PARAM, id);
  return `${url.pathname}${url.search}${url.hash}`;
}
