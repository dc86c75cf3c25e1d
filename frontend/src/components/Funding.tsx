/**
 * The funding page: today's funding options with the distance to each criterion, then the
 * what-if simulator, then "Share with a lender" (LenderShare.tsx). Both read GET /readiness;
 * the simulator's fields start from GET /metrics.
 */
import { useEffect, useState } from "react";

import { api, errorMessage, type Schemas } from "../lib/api";
import { withBusinessParam } from "../lib/business";
import "../styles/funding.css";
import BusinessGate from "./BusinessGate";
import FundingOptions from "./FundingOptions";
import IslandBoundary from "./IslandBoundary";
import LenderShare from "./LenderShare";
import WhatIfSimulator from "./WhatIfSimulator";

type Load =
  | { state: "loading" }
  | { state: "error"; message: string }
  | { state: "not_computed"; message: string }
  | {
      state: "ready";
      readiness: Schemas["ReadinessRead"];
      metrics: Schemas["MetricsRead"]["metrics"] | null;
    };

function FundingBody({ businessId, canShare }: { businessId: string; canShare: boolean }) {
  const [load, setLoad] = useState<Load>({ state: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    setLoad({ state: "loading" });
    const query = { params: { query: { business_id: businessId } } };
    Promise.all([api.GET("/api/v1/readiness", query), api.GET("/api/v1/metrics", query)])
      .then(([readiness, metrics]) => {
        if (!live) return;
        if (readiness.data) {
          setLoad({ state: "ready", readiness: readiness.data, metrics: metrics.data?.metrics ?? null });
        } else if (readiness.response.status === 404) {
          setLoad({ state: "not_computed", message: errorMessage(readiness.error) });
        } else {
          setLoad({ state: "error", message: errorMessage(readiness.error) });
        }
      })
      .catch(() => live && setLoad({ state: "error", message: errorMessage(null) }));
    return () => {
      live = false;
    };
  }, [businessId, attempt]);

  if (load.state === "loading") {
    return (
      <p className="state" role="status">
        Loading your funding options…
      </p>
    );
  }
  if (load.state === "error") {
    return (
      <div className="state error" role="alert">
        <p>{load.message}</p>
        <button type="button" className="button secondary" onClick={() => setAttempt((n) => n + 1)}>
          Try again
        </button>
      </div>
    );
  }
  if (load.state === "not_computed") {
    return (
      <div className="state card">
        <p>No funding options yet. {load.message}</p>
        <a className="button" href={withBusinessParam("/onboarding/stripe-connect")}>
          Connect Stripe
        </a>
      </div>
    );
  }
  const { readiness, metrics } = load;
  return (
    <div className="funding">
      <FundingOptions options={readiness.funding_options} currency={readiness.currency} />
      {metrics ? (
        <WhatIfSimulator key={businessId} businessId={businessId} readiness={readiness} metrics={metrics} />
      ) : (
        <p className="state card">The what-if simulator needs your latest metrics; check back shortly.</p>
      )}
      <LenderShare key={`share-${businessId}`} businessId={businessId} canManage={canShare} />
    </div>
  );
}

export default function Funding() {
  return (
    <IslandBoundary name="The funding options">
      <BusinessGate>
        {(business) => <FundingBody businessId={business.id} canShare={business.role !== "member"} />}
      </BusinessGate>
    </IslandBoundary>
  );
}
