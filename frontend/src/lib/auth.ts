/**
 * The signed-in user's token, kept in localStorage (ARCHITECTURE.md: JWT storage), and the
 * redirects around it. Browser-only: call these from islands or <script> tags, never at build.
 */

export const TOKEN_KEY = "vaultra_token";
export const BUSINESS_KEY = "vaultra_current_business_id";
export const LOGIN_PATH = "/auth/login";

function storage(): Storage | null {
  return typeof localStorage === "undefined" ? null : localStorage;
}

export function getToken(): string | null {
  return storage()?.getItem(TOKEN_KEY) ?? null;
}

export function setToken(token: string): void {
  storage()?.setItem(TOKEN_KEY, token);
}

/** Seconds since the epoch when a JWT expires; null when it says nothing (or is no JWT). */
export function tokenExpiry(token: string): number | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const exp: unknown = JSON.parse(json).exp;
    return typeof exp === "number" ? exp : null;
  } catch {
    return null;
  }
}

/** A token is present and not past its `exp`; the server still has the last word (a 401). */
export function isAuthenticated(now: number = Date.now()): boolean {
  const token = getToken();
  if (!token) return false;
  const exp = tokenExpiry(token);
  return exp === null || exp * 1000 > now;
}

export function getAuthHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** Forgets the token and the chosen business (a shared computer must not keep either). */
export function logout(): void {
  storage()?.removeItem(TOKEN_KEY);
  storage()?.removeItem(BUSINESS_KEY);
}

/** `next` only when it is a path on this site: "/x?y", never "//evil" or "https://evil". */
export function safeNext(next: string | null | undefined): string | null {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/\\")) {
    return null;
  }
  return next;
}

/** The log-in page, coming back to `next` (default: the current path and query). */
export function loginUrl(next?: string): string {
  const target = next ?? `${location.pathname}${location.search}`;
  return `${LOGIN_PATH}?${new URLSearchParams({ next: target })}`;
}

/** Leave for the log-in page, unless already there. */
export function redirectToLogin(): void {
  if (location.pathname.replace(/\/$/, "") === LOGIN_PATH) return;
  location.assign(loginUrl());
}
