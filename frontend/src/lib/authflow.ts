/**
 * The decisions around signing in, as pure functions (the pages' scripts only wire them to the
 * DOM): where to go after log-in, what an API error says about each field, how long a 429 asks
 * to wait, and what Google's redirect carried in the URL fragment.
 */
import { safeNext } from "./auth";

export const ONBOARDING_PATH = "/onboarding/business";
export const DASHBOARD_PATH = "/dashboard/";
/**
 * `next` survives the round trip to Google in this tab's sessionStorage: the backend's
 * callback redirects to /auth/callback/google with only a token or an error.
 */
export const PENDING_NEXT_KEY = "vaultra_pending_next";

/** After log-in: a safe `next`, else onboarding for a user with no business, else the dashboard. */
export function afterLogin(next: string | null | undefined, businessCount: number): string {
  return safeNext(next) ?? (businessCount === 0 ? ONBOARDING_PATH : DASHBOARD_PATH);
}

/** The API's field errors by field name ("email", "password"...), first message per field. */
export function fieldErrors(error: unknown): Record<string, string> {
  const found: Record<string, string> = {};
  if (!error || typeof error !== "object" || !("errors" in error) || !Array.isArray(error.errors)) {
    return found;
  }
  for (const item of error.errors as unknown[]) {
    if (!item || typeof item !== "object") continue;
    const { field, message } = item as { field?: unknown; message?: unknown };
    if (typeof field !== "string" || typeof message !== "string") continue;
    const name = field.split(".")[0] ?? field;
    found[name] ??= sentence(message);
  }
  return found;
}

/** Pydantic's "String should have at least 8 characters" -> "Should have at least 8 characters." */
function sentence(message: string): string {
  if (/^field required$|at least 1 character/i.test(message)) return "This field is required.";
  const text = message.replace(/^(String|Value error,|Input) /i, "").trim();
  const capital = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** Retry-After (seconds, or an HTTP date) -> seconds to wait; null when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now: number = Date.now()): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(1, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(1, Math.ceil((date - now) / 1000));
}

/** 45 -> "45 seconds", 60 -> "1 minute", 899 -> "15 minutes" (rounded up: never too early). */
export function formatWait(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

export type GoogleResult =
  | { kind: "token"; token: string }
  | { kind: "error"; code: string }
  | { kind: "empty" };

/** What the backend's Google callback put in the fragment: `#token=…` or `#error=<code>`. */
export function parseGoogleFragment(hash: string): GoogleResult {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const error = params.get("error");
  if (error) return { kind: "error", code: error };
  const token = params.get("token");
  return token ? { kind: "token", token } : { kind: "empty" };
}

const GOOGLE_ERRORS: Record<string, string> = {
  access_denied: "Google sign-in was cancelled.",
  invalid_state: "The sign-in link expired or was already used. Please start again.",
  invalid_request: "Google's answer was incomplete. Please start again.",
  email_not_verified: "Google has not verified this email address, so Vaultra cannot use it.",
  google_unreachable: "Google could not be reached. Please try again in a moment.",
  jwks_unavailable: "Google could not be reached. Please try again in a moment.",
};

/** A sentence for an error code from the Google callback (codes are never shown raw alone). */
export function googleErrorMessage(code: string): string {
  return GOOGLE_ERRORS[code] ?? "Google sign-in did not complete. Please try again.";
}
