/**
 * The signed-in user (GET /users/me), fetched once per page and shared by every island on it,
 * and `useBusiness()`, the hook a page island starts from.
 */
import { useCallback, useEffect, useState } from "react";

import { api, type Schemas } from "./api";
import {
  businessIdFromUrl,
  onBusinessChange,
  selectBusiness,
  storedBusinessId,
  type Selection,
} from "./business";

export type Me = Schemas["UserWithBusinesses"];
export type BusinessSummary = Schemas["BusinessSummary"];

let mePromise: Promise<Me> | null = null;

/** The user and their businesses; one request per page load (`refresh` asks again). */
export function loadMe(refresh = false): Promise<Me> {
  if (!mePromise || refresh) {
    mePromise = api.GET("/api/v1/users/me").then(({ data, error }) => {
      if (!data) {
        mePromise = null;
        throw error ?? new Error("no user");
      }
      return data;
    });
  }
  return mePromise;
}

export type BusinessState =
  | { status: "loading" }
  | { status: "error"; error: unknown; retry: () => void }
  | (Selection<BusinessSummary> & { status: "ready"; me: Me });

/**
 * The business this page shows, following the selector: re-renders with the new business when
 * the user switches, so an island's effect keyed on `business.id` reloads its data.
 */
export function useBusiness(): BusinessState {
  const [state, setState] = useState<BusinessState>({ status: "loading" });
  const [attempt, setAttempt] = useState(0);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  useEffect(() => {
    let live = true;
    const resolve = (me: Me) => {
      if (!live) return;
      const selection = selectBusiness(me.businesses, businessIdFromUrl(), storedBusinessId());
      setState({ ...selection, status: "ready", me });
    };
    setState({ status: "loading" });
    loadMe(attempt > 0).then(resolve, (error: unknown) => {
      if (live) setState({ status: "error", error, retry });
    });
    const stop = onBusinessChange(() => void loadMe().then(resolve));
    return () => {
      live = false;
      stop();
    };
  }, [attempt, retry]);

  return state;
}
