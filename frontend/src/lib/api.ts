/**
 * The typed API client. Paths, parameters and bodies are checked against the backend's OpenAPI
 * (api-types.ts, generated: `npm run gen:api`). Paths already include /api/v1.
 *
 *   const { data, error, response } = await api.GET("/api/v1/readiness", {
 *     params: { query: { business_id } },
 *   });
 *
 * Every request carries the bearer token; a 401 sends the browser to the log-in page, coming
 * back here afterwards.
 */
import createClient, { type Middleware } from "openapi-fetch";

import type { components, paths } from "./api-types";
import { getToken, logout, redirectToLogin } from "./auth";

export type Schemas = components["schemas"];
/** The API's error body: {detail, code, errors?: [{field, message}]}. */
export type ApiError = Schemas["ErrorResponse"];

/** The API's origin: PUBLIC_API_URL when the app is hosted elsewhere, else this origin. */
export const API_BASE_URL: string = (import.meta.env.PUBLIC_API_URL ?? "").replace(/\/+$/, "");

export const authMiddleware: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token && !request.headers.has("Authorization")) {
      request.headers.set("Authorization", `Bearer ${token}`);
    }
    return request;
  },
  onResponse({ request, response }) {
    // The log-in call's own 401 is a wrong password, shown on the form.
    if (response.status === 401 && request.headers.has("Authorization")) {
      logout();
      redirectToLogin();
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: API_BASE_URL || undefined });
api.use(authMiddleware);

/** A full URL for what the typed client can't do (the chat's event stream). */
export function apiUrl(path: `/api/v1/${string}`): string {
  return `${API_BASE_URL}${path}`;
}

/** The message to show for a failed call: the API's `detail`, else a generic line. */
export function errorMessage(error: unknown): string {
  if (error && typeof error === "object" && "detail" in error && typeof error.detail === "string") {
    return error.detail;
  }
  return "Something went wrong. Please try again.";
}
