/**
 * The overview's data for one business, kept live: the Stripe status and the score first, then
 * the 60-day history and the recommendations once a score exists.
 *
 * After the Stripe callback the backfill runs for seconds to minutes and the score follows a
 * couple of seconds after the sync finishes, so the hook polls the status (and the score) every
 * POLL_MS while a sync runs or a fresher score is due, and fills the page in with no reload.
 */
import { useCallback, useEffect, useState } from "react";

import { api, type Schemas } from "./api";
import { historyStart } from "./kpis";
import type { Readiness } from "./readiness";

export type StripeStatus = Schemas["StripeStatus"];
export type Recommendation = Schemas["RecommendationRead"];
export type MetricPoint = Schemas["MetricPoint"];

export const POLL_MS = 1500;
/** How long after a finished sync a new score is waited for before the page stops asking. */
export const SCORE_GRACE_MS = 60_000;
export const TOP_RECOMMENDATIONS = 3;

/** A section's data, or why it is missing (the rest of the page still shows). */
export type Part<T> = { ok: true; value: T } | { ok: false; error: unknown };

export interface OverviewData {
  status: StripeStatus;
  /** null: no score yet (GET /readiness answered readiness_not_computed). */
  readiness: Readiness | null;
  history: Part<{ currency: string; points: MetricPoint[] }> | null;
  recommendations: Part<Recommendation[]> | null;
  /** True while the page keeps asking (a sync runs, or a score is due). */
  polling: boolean;
}

export type OverviewState =
  | { kind: "loading" }
  | { kind: "error"; error: unknown; retry: () => void }
  | ({ kind: "ready"; retry: () => void } & OverviewData);

class ApiFailure extends Error {
  constructor(readonly body: unknown) {
    super("API call failed");
  }
}

export function isSyncing(status: StripeStatus): boolean {
  return ["queued", "running", "interrupted"].includes(status.sync.state);
}

/**
 * Whether a score newer than the one shown is on its way: the business is connected, its last
 * sync succeeded less than SCORE_GRACE_MS ago, and the score shown (if any) predates it.
 */
export function scoreDue(status: StripeStatus, readiness: Readiness | null, now = Date.now()): boolean {
  if (!status.connected || status.sync.state !== "succeeded" || !status.sync.finished_at) {
    return false;
  }
  const finished = Date.parse(status.sync.finished_at);
  if (now - finished > SCORE_GRACE_MS) return false;
  return readiness === null || Date.parse(readiness.computed_at) < finished;
}

export function needsPolling(status: StripeStatus, readiness: Readiness | null): boolean {
  return isSyncing(status) || scoreDue(status, readiness);
}

async function fetchCore(businessId: string) {
  const query = { params: { query: { business_id: businessId } } };
  const [status, readiness] = await Promise.all([
    api.GET("/api/v1/integrations/stripe/status", query),
    api.GET("/api/v1/readiness", query),
  ]);
  if (!status.data) throw new ApiFailure(status.error);
  if (!readiness.data && readiness.error?.code !== "readiness_not_computed") {
    throw new ApiFailure(readiness.error);
  }
  return { status: status.data, readiness: readiness.data ?? null };
}

async function fetchExtras(businessId: string) {
  const [history, recommendations] = await Promise.all([
    api.GET("/api/v1/metrics/history", {
      params: { query: { business_id: businessId, granularity: "day", start_date: historyStart() } },
    }),
    api.GET("/api/v1/recommendations", {
      params: { query: { business_id: businessId, status: "open" } },
    }),
  ]);
  return {
    history: history.data
      ? { ok: true as const, value: { currency: history.data.currency, points: history.data.metrics } }
      : { ok: false as const, error: history.error },
    recommendations: recommendations.data
      ? { ok: true as const, value: recommendations.data.recommendations.slice(0, TOP_RECOMMENDATIONS) }
      : { ok: false as const, error: recommendations.error },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The overview of `businessId`, reloaded when it changes and kept live while data is due.
 * `justConnected` (the page came back from the Stripe callback): wait for the first score even
 * before the backfill shows up in the status, for up to SCORE_GRACE_MS.
 */
export function useOverview(businessId: string, justConnected = false): OverviewState {
  const [state, setState] = useState<OverviewState>({ kind: "loading" });
  const [attempt, setAttempt] = useState(0);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  useEffect(() => {
    let live = true;
    const started = Date.now();
    const waiting = (readiness: Readiness | null) =>
      justConnected && readiness === null && Date.now() - started < SCORE_GRACE_MS;
    const run = async () => {
      let core = await fetchCore(businessId);
      let extras = core.readiness ? await fetchExtras(businessId) : null;
      const show = (polling: boolean) => {
        if (live) {
          setState({ kind: "ready", retry, ...core, history: null, recommendations: null, ...extras, polling });
        }
      };
      while (live && (needsPolling(core.status, core.readiness) || waiting(core.readiness))) {
        show(true);
        await sleep(POLL_MS);
        if (!live) return;
        const next = await fetchCore(businessId);
        if (next.readiness && next.readiness.computed_at !== core.readiness?.computed_at) {
          extras = await fetchExtras(businessId);
        }
        core = next;
      }
      show(false);
    };
    setState({ kind: "loading" });
    run().catch((caught: unknown) => {
      if (live) setState({ kind: "error", error: caught instanceof ApiFailure ? caught.body : caught, retry });
    });
    return () => {
      live = false;
    };
  }, [businessId, justConnected, attempt, retry]);

  return state;
}
