import { useEffect } from "react";

import { errorMessage } from "../lib/api";
import { BUSINESS_PARAM } from "../lib/business";
import { useOverview } from "../lib/overview";
import type { BusinessSummary } from "../lib/session";
import "../styles/overview.css";
import BusinessGate from "./BusinessGate";
import IslandBoundary from "./IslandBoundary";
import Breakdown from "./overview/Breakdown";
import { AwaitingScore, ConnectError, Disconnected, InsufficientData, NotConnected } from "./overview/EmptyStates";
import FundingOptions from "./overview/FundingOptions";
import KpiTiles from "./overview/KpiTiles";
import NextSteps from "./overview/NextSteps";
import ScoreCard from "./overview/ScoreCard";
import SyncBanner from "./overview/SyncBanner";

type ConnectReturn = { result: "connected" | "error"; reason: string | null; about: string | null };

let landedWith: ConnectReturn | null | undefined;

/** What the Stripe callback said (`?stripe=connected` or `?stripe=error&reason=…`), read once
 * per page load (switching business rewrites `business_id` in the URL), if it was about this
 * business or named none (as when the request had expired). */
function connectReturn(businessId: string): ConnectReturn | null {
  if (landedWith === undefined) {
    const params = new URLSearchParams(location.search);
    const stripe = params.get("stripe");
    landedWith =
      stripe === "connected" || stripe === "error"
        ? { result: stripe, reason: params.get("reason"), about: params.get(BUSINESS_PARAM) }
        : null;
  }
  return landedWith && (!landedWith.about || landedWith.about === businessId) ? landedWith : null;
}

/** Drops `stripe`/`reason` from the address bar once handled, so a reload does not repeat them. */
function forgetConnectReturn() {
  const url = new URL(location.href);
  if (!url.searchParams.has("stripe")) return;
  url.searchParams.delete("stripe");
  url.searchParams.delete("reason");
  history.replaceState(history.state, "", url);
}

function OverviewBody({ business }: { business: BusinessSummary }) {
  const returned = connectReturn(business.id);
  const state = useOverview(business.id, returned?.result === "connected");
  const canManage = business.role !== "member";
  const scored = state.kind === "ready" && state.readiness !== null;

  useEffect(() => {
    if (scored && returned?.result === "connected") forgetConnectReturn();
  }, [scored, returned?.result]);

  const header = (
    <div className="overview-head">
      <h2 className="business-name">{business.name}</h2>
      {state.kind === "ready" && state.status.connected && (
        <SyncBanner
          status={state.status}
          businessId={business.id}
          canManage={canManage}
          onSyncRequested={state.retry}
        />
      )}
    </div>
  );

  if (state.kind === "loading") {
    return (
      <>
        {header}
        <p className="state" role="status">
          Loading the overview…
        </p>
      </>
    );
  }
  if (state.kind === "error") {
    return (
      <>
        {header}
        <div className="state error" role="alert">
          <p>{errorMessage(state.error)}</p>
          <button type="button" className="button secondary" onClick={state.retry}>
            Try again
          </button>
        </div>
      </>
    );
  }

  const connectError =
    returned?.result === "error" ? <ConnectError reason={returned.reason} businessId={business.id} /> : null;
  const { status, readiness } = state;
  if (!readiness) {
    return (
      <>
        {header}
        {connectError}
        {status.connected ? (
          <AwaitingScore status={status} polling={state.polling} onCheckAgain={state.retry} />
        ) : (
          !connectError && <NotConnected businessId={business.id} canManage={canManage} />
        )}
      </>
    );
  }

  const history = state.history;
  return (
    <>
      {header}
      {connectError}
      {!status.connected && !connectError && <Disconnected businessId={business.id} canManage={canManage} />}
      {readiness.tier === "insufficient_data" && <InsufficientData />}
      <div className="overview-top">
        <ScoreCard readiness={readiness} />
        <section className="kpis" aria-labelledby="kpi-heading">
          <h2 id="kpi-heading" className="section-label">
            Last 30 days
          </h2>
          {history === null ? (
            <p className="muted">Loading…</p>
          ) : history.ok ? (
            <KpiTiles points={history.value.points} currency={history.value.currency} />
          ) : (
            <p className="state error" role="alert">
              {errorMessage(history.error)}
            </p>
          )}
        </section>
      </div>
      <Breakdown readiness={readiness} />
      <div className="overview-columns">
        <FundingOptions options={readiness.funding_options} currency={readiness.currency} />
        <NextSteps recommendations={state.recommendations} />
      </div>
    </>
  );
}

/** The readiness overview (/dashboard): one island, so the page ships React once. */
export default function Overview() {
  return (
    <IslandBoundary name="The overview">
      <BusinessGate>{(business) => <OverviewBody key={business.id} business={business} />}</BusinessGate>
    </IslandBoundary>
  );
}
