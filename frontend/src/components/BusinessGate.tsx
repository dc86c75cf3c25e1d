import type { ReactNode } from "react";

import { errorMessage } from "../lib/api";
import { useBusiness, type BusinessSummary, type Me } from "../lib/session";

interface Props {
  /** The page's content for the selected business; re-rendered when the user switches. */
  children: (business: BusinessSummary, me: Me) => ReactNode;
}

/**
 * What every signed-in page island shows before its data: loading, an error with a retry, no
 * business yet (to onboarding), several and none chosen (to the selector). Renders `children`
 * only once a business is selected. Key the island's own fetch on `business.id`.
 */
export default function BusinessGate({ children }: Props) {
  const state = useBusiness();
  if (state.status === "loading") {
    return (
      <p className="state" role="status">
        Loading…
      </p>
    );
  }
  if (state.status === "error") {
    return (
      <div className="state error" role="alert">
        <p>{errorMessage(state.error)}</p>
        <button type="button" className="button secondary" onClick={state.retry}>
          Try again
        </button>
      </div>
    );
  }
  if (state.kind === "none") {
    return (
      <div className="state">
        <p>You have no business yet.</p>
        <a className="button" href="/onboarding/business">
          Create a business
        </a>
      </div>
    );
  }
  if (state.kind === "choose") {
    return (
      <p className="state">Choose a business in the “Business” menu above to see its data.</p>
    );
  }
  return <>{children(state.business, state.me)}</>;
}
